import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';

/** Parses the config or exits with the one message that lists every bad variable. */
export function boot(): { config: Config; logger: Logger } {
  try {
    const config = loadConfig();
    return { config, logger: createLogger(config) };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** Separate API and worker processes cannot share the embedded database, which lives in one process. */
export function requireDatabaseUrl(config: Config, what: string): void {
  if (config.DATABASE_URL) return;
  process.stderr.write(
    `${what} runs as its own process and needs DATABASE_URL (a Postgres server).\n` +
      'The embedded database only works in the all-in-one mode: npm start\n',
  );
  process.exit(2);
}
