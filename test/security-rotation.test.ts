import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { insertConnection } from '../db/connections';
import { connections, sinks } from '../db/schema';
import { insertSink } from '../db/sinks';
import { createSecretBox } from '../lib/crypto';
import { createTestDatabase } from './support/harness';

/** Runs `npm run -s rotate-key` as an operator would: the old key on stdin, the new one configured. */
function rotate(env: Record<string, string>, stdin: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'scripts/rotate-key.ts'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stderr }));
    child.stdin?.end(stdin);
  });
}

describe('secret key rotation', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database?.drop(); });

  it('re-seals every connection under the new key, and changes nothing when given the wrong old key', async () => {
    const [oldKey, newKey, otherKey] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const oldBox = createSecretBox(oldKey);
    const ids: string[] = [];
    for (const apiKey of ['first-secret', 'second-secret']) {
      ids.push((await insertConnection(database.db, { connector: 'redmine', name: apiKey, config: { baseUrl: 'https://redmine.example.com' }, secretsSealed: oldBox.seal({ apiKey }) })).id);
    }
    // An event sink's secrets (an AMQP URL with its password) move with the connections'.
    const sink = await insertSink(database.db, { name: 'rabbit', kind: 'amqp', config: {}, secretsSealed: oldBox.seal({ url: 'amqp://u:sink-secret@rabbit' }) });
    const sealed = async (id: string) => (await database.db.select().from(connections).where(eq(connections.id, id)))[0]!.secretsSealed;
    const sinkSealed = async () => (await database.db.select().from(sinks).where(eq(sinks.id, sink.id)))[0]!.secretsSealed;
    const env = { DATABASE_URL: database.url, TRACKBRIDGE_SECRET_KEY: newKey.toString('base64'), LOG_FORMAT: 'json' };

    const wrong = await rotate(env, otherKey.toString('base64'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/old key does not open/);
    expect(oldBox.open(await sealed(ids[0]!))).toEqual({ apiKey: 'first-secret' });

    const done = await rotate(env, `${oldKey.toString('hex')}\n`);
    expect(done).toMatchObject({ code: 0, stderr: expect.stringMatching(/2 connection\(s\) and 1 sink\(s\) now sealed under the new key/) });
    const newBox = createSecretBox(newKey);
    expect(newBox.open(await sealed(ids[0]!))).toEqual({ apiKey: 'first-secret' });
    expect(newBox.open(await sealed(ids[1]!))).toEqual({ apiKey: 'second-secret' });
    await expect(async () => oldBox.open(await sealed(ids[1]!))).rejects.toThrow();
    expect(newBox.open(await sinkSealed())).toEqual({ url: 'amqp://u:sink-secret@rabbit' });
  });
});
