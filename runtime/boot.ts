import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import { isDatabaseUnavailable, summarizeError } from '../lib/error-summary';
import { createLogger } from '../lib/logger';
import { secretHeaders } from '../connectors/define';
import { installedConnectors } from '../plugins/registry';
import { loadPlugins, parsePluginList, pluginLoadOptions } from '../plugins/load';
import { PluginError } from '../plugins/validate';

/**
 * Parses the config and loads the plugins it names, or exits with the one message that lists every
 * bad variable, or names the plugin and the field at fault. The logger is made after the plugins,
 * so it redacts their connectors' credential headers too.
 */
export async function boot(): Promise<{ config: Config; logger: Logger }> {
  try {
    const config = loadConfig();
    await loadPlugins(parsePluginList(config.TRACKBRIDGE_PLUGINS), pluginLoadOptions(config));
    return { config, logger: createLogger(config, undefined, secretHeaders(installedConnectors())) };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PluginError) {
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

/** Startup waits between attempts: short at first, then every 10 s while the dependency stays away. */
const FIRST_WAIT_MS = 500;
const MAX_WAIT_MS = 10_000;

/** Temporal's connect errors (refused, transport, deadline): the server is not there yet. */
export const isTemporalUnreachable = (err: unknown): boolean =>
  /transport|connect|deadline|unavailable|ECONNREFUSED/i.test(`${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? ''}`);

export const isPostgresUnreachable = isDatabaseUnavailable;

/**
 * Runs `connect` until its dependency answers, so a process started before Postgres or Temporal (a
 * host reboot, a compose file starting everything at once) waits for it instead of exiting. Errors
 * that are not "unreachable" (a wrong password, a missing database) still end the start at once.
 */
export async function whenReachable<T>(what: string, connect: () => Promise<T>, opts: { logger: Logger; unreachable: (err: unknown) => boolean }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await connect();
      if (attempt > 1) opts.logger.info({ attempts: attempt }, `${what} reachable; starting`);
      return value;
    } catch (err) {
      if (!opts.unreachable(err)) throw err;
      const waitMs = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (attempt - 1));
      opts.logger.warn({ err: summarizeError(err), attempt, retryInMs: waitMs }, `${what} unreachable at start; waiting for it`);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
