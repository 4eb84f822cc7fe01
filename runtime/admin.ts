import pino, { type Logger } from 'pino';
import { decodeKey, type Config } from '../lib/config';
import { createSecretBox } from '../lib/crypto';
import { createLogger } from '../lib/logger';
import { loadSecretKey } from '../lib/secret-key';
import { openDatabase, type Database } from '../db/client';
import { resealSecrets } from '../db/secret-rotation';
import { createApiToken, listApiTokens, revokeApiToken, type TokenRole } from '../db/tokens';
import { boot } from './boot';

/**
 * The one-shot operator commands, behind both `trackbridge migrate|token|rotate-key` and their npm
 * scripts. Each resolves with the exit code.
 */

/** Applies the committed SQL migrations (the API and the worker also do this on start). */
export async function migrateDatabase(): Promise<number> {
  const { config, logger } = await boot();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
  try {
    await database.migrate();
    logger.info({ database: database.kind }, 'migrations applied');
  } finally {
    await database.close();
  }
  return 0;
}

export type TokenCommand = { action: 'create'; name: string; role: TokenRole } | { action: 'list' } | { action: 'revoke'; id: string };

const TOKEN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Creates, lists or revokes API tokens. Only the token goes to stdout, so `TOKEN=$(trackbridge token
 * create ci)` captures it; logs and notes go to stderr.
 */
export async function manageTokens(command: TokenCommand): Promise<number> {
  const { config } = await boot();
  return withMigratedDatabase(config, stderrLogger(config), async (database) => {
    if (command.action === 'create') {
      const { token } = await createApiToken(database.db, command.name, command.role);
      process.stdout.write(`${token}\n`);
      if (process.stdout.isTTY) {
        process.stderr.write(`Token "${command.name}" (${command.role}) created. It is not stored in plain text and cannot be shown again.\n`);
      }
      return 0;
    }
    if (command.action === 'list') {
      for (const t of await listApiTokens(database.db)) {
        process.stdout.write(`${t.id}  ${t.prefix}…  ${t.role.padEnd(5)}  ${t.name}  ${t.createdAt.toISOString()}${t.revokedAt ? '  (revoked)' : ''}\n`);
      }
      return 0;
    }
    // An id from `list`; anything else cannot name a token (and would be a database error).
    const ok = TOKEN_ID.test(command.id) && (await revokeApiToken(database.db, command.id));
    process.stdout.write(ok ? 'revoked\n' : 'no such active token\n');
    return ok ? 0 : 1;
  });
}

/**
 * Seals every connection's and sink's secrets under the configured TRACKBRIDGE_SECRET_KEY, reading
 * the old key from `oldKeyInput` (stdin: never from arguments, which `ps` shows). Stop the API and
 * the worker first; signed file links made under the old key stop working.
 */
export async function rotateSecretKey(usage: string, oldKeyInput: AsyncIterable<Buffer | string> = process.stdin): Promise<number> {
  const { config } = await boot();
  const logger = stderrLogger(config);
  const chunks: Buffer[] = [];
  for await (const chunk of oldKeyInput) chunks.push(Buffer.from(chunk));
  const oldKey = decodeKey(Buffer.concat(chunks).toString('utf8').trim());
  if (!oldKey) {
    process.stderr.write(`usage: ${usage}  (the old key on stdin: 32 bytes as base64 or 64 hex characters)\n`);
    return 2;
  }
  const newKey = loadSecretKey(config, logger);
  if (newKey.equals(oldKey)) {
    process.stderr.write('TRACKBRIDGE_SECRET_KEY is still the old key: set the new one first\n');
    return 2;
  }
  try {
    return await withMigratedDatabase(config, logger, async (database) => {
      const count = await resealSecrets(database.db, createSecretBox(oldKey), createSecretBox(newKey));
      process.stderr.write(`${count.connections} connection(s) and ${count.sinks} sink(s) now sealed under the new key\n`);
      return 0;
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** These commands print their results on stdout, so their logs go to stderr. */
const stderrLogger = (config: Config) => createLogger(config, pino.destination(2));

async function withMigratedDatabase<T>(config: Config, logger: Logger, use: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
  try {
    await database.migrate();
    return await use(database);
  } finally {
    await database.close();
  }
}
