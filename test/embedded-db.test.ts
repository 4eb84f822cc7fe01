import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client';
import { createApiToken, verifyApiToken } from '../db/tokens';
import { insertConnection, getConnection } from '../db/connections';

describe('embedded database (PGlite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-pglite-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('applies the same migrations and keeps data across restarts', async () => {
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('embedded');
    await first.migrate();
    const { token } = await createApiToken(first.db, 'admin');
    const conn = await insertConnection(first.db, { connector: 'github', name: 'gh', config: { baseUrl: 'http://x' }, secretsSealed: 'v1.a.b.c' });
    await first.close();

    const second = await openDatabase({ dataDir });
    await second.migrate(); // idempotent
    expect(await verifyApiToken(second.db, token)).toMatchObject({ name: 'admin' });
    expect(await getConnection(second.db, conn.id)).toMatchObject({ name: 'gh' });
    await second.close();
  });
});
