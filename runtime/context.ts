import type { Logger } from 'pino';
import { openDatabase, type Database } from '../db/client';
import { createSecretBox, type SecretBox } from '../lib/crypto';
import type { Config } from '../lib/config';
import { loadSecretKey } from '../lib/secret-key';

export interface Core {
  database: Database;
  secretBox: SecretBox;
}

/** Opens the database (migrating it) and the secret box: what both the API and the worker need. */
export async function openCore(config: Config, logger: Logger): Promise<Core> {
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: config.DATABASE_POOL_SIZE, logger });
  await database.migrate();
  logger.info({ database: database.kind }, 'database ready');
  return { database, secretBox: createSecretBox(loadSecretKey(config, logger)) };
}
