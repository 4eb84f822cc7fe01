import pino from 'pino';
import { boot } from '../runtime/boot';
import { createLogger } from '../lib/logger';
import { decodeKey } from '../lib/config';
import { createSecretBox } from '../lib/crypto';
import { loadSecretKey } from '../lib/secret-key';
import { openDatabase } from '../db/client';
import { resealSecrets } from '../db/secret-rotation';

/**
 * `npm run -s rotate-key < old.key`: seals every connection's secrets under the configured
 * TRACKBRIDGE_SECRET_KEY, reading the old key from stdin (never from arguments, which `ps` shows).
 * Stop the API and the worker first; signed file links made under the old key stop working.
 */
const { config } = await boot();
const logger = createLogger(config, pino.destination(2));
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const oldKey = decodeKey(Buffer.concat(chunks).toString('utf8').trim());
if (!oldKey) {
  process.stderr.write('usage: npm run -s rotate-key < old.key  (the old key on stdin: 32 bytes as base64 or 64 hex characters)\n');
  process.exit(2);
}
const newKey = loadSecretKey(config, logger);
if (newKey.equals(oldKey)) {
  process.stderr.write('TRACKBRIDGE_SECRET_KEY is still the old key: set the new one first\n');
  process.exit(2);
}
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
try {
  await database.migrate();
  const count = await resealSecrets(database.db, createSecretBox(oldKey), createSecretBox(newKey));
  process.stderr.write(`${count.connections} connection(s) and ${count.sinks} sink(s) now sealed under the new key\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
