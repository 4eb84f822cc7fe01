import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { decodeKey, type Config } from './config';

/**
 * The AES key for connection secrets: TRACKBRIDGE_SECRET_KEY, or (outside production) a key
 * generated once into the data dir so the quick start needs no setup.
 */
export function loadSecretKey(config: Pick<Config, 'TRACKBRIDGE_SECRET_KEY' | 'DATA_DIR' | 'NODE_ENV'>, logger: Logger): Buffer {
  if (config.TRACKBRIDGE_SECRET_KEY) {
    const key = decodeKey(config.TRACKBRIDGE_SECRET_KEY);
    if (key) return key;
  }
  if (config.NODE_ENV === 'production') throw new Error('TRACKBRIDGE_SECRET_KEY is required in production');
  const file = join(config.DATA_DIR, 'secret.key');
  if (existsSync(file)) {
    const key = decodeKey(readFileSync(file, 'utf8').trim());
    if (!key) throw new Error(`${file} does not hold a 32-byte key`);
    return key;
  }
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600 });
  logger.warn({ file }, 'TRACKBRIDGE_SECRET_KEY unset: generated a development key; set it explicitly in production');
  return key;
}
