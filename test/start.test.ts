import { sql } from 'drizzle-orm';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { queryRows } from '../db/client';
import { createTestDatabase } from './support/harness';
import { freePort, spawnScript } from './support/process';

/** The quick start as a new user runs it: `npm start` is `tsx scripts/start.ts`. */
describe('npm start (all-in-one dev mode)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(extra: Record<string, string> = {}) {
    const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const proc = spawnScript('scripts/start.ts', {
      DATA_DIR: dataDir, PORT: String(port), TEMPORAL_DEV_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_CLI: inject('temporalCli'), LOG_FORMAT: 'json', ...extra,
    });
    await proc.waitFor(/trackbridge is up/);
    return { proc, base: `http://127.0.0.1:${port}`, ui: `http://127.0.0.1:${uiPort}` };
  }

  // Two starts of the whole stack (a dev server, the embedded database, worker and API): ~40 s alone, more under load.
  it('starts Temporal, the worker and the API with an embedded database, and keeps data across restarts', { timeout: 180_000 }, async () => {
    const first = await start();
    // Not a terminal: the first token is in a file under DATA_DIR, never on stdout (see test/security-tokens).
    await first.proc.waitFor(/admin API token was written/);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const health = await fetch(`${first.base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ database: { ok: true }, temporal: { ok: true } });
    expect((await fetch(first.ui)).status).toBe(200);
    expect((await fetch(`${first.base}/connections`)).status).toBe(401);
    // The console is part of the quick start: its sign-in page and its htmx, with nothing built.
    const signIn = await fetch(`${first.base}/ui/sign-in`);
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain('<label for="token">API token</label>');
    expect((await fetch(`${first.base}/ui/assets/htmx.min.js`)).headers.get('content-type')).toMatch(/javascript/);
    const created = await fetch(`${first.base}/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ connector: 'github', name: 'kept', config: {}, secrets: { token: 'x' } }),
    });
    expect(created.status).toBe(201);
    expect(await first.proc.stop('SIGINT')).toBe(0);

    const second = await start();
    expect(second.proc.output()).not.toMatch(/admin API token was/);
    const list = await fetch(`${second.base}/connections`, { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { name: string }[] }).items.map((c) => c.name)).toContain('kept');
    await second.proc.stop('SIGINT');
  });

  it('uses Postgres when DATABASE_URL is set', async () => {
    const database = await createTestDatabase();
    try {
      const run = await start({ DATABASE_URL: database.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'tb-start-pg-')) });
      expect(run.proc.output()).toMatch(/"database":"postgres"/);
      expect((await fetch(`${run.base}/health`)).status).toBe(200);
      await run.proc.stop('SIGINT');
      const rows = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from api_tokens`);
      expect(rows[0]?.n).toBe(1);
    } finally {
      await database.drop();
    }
  });

  it('refuses a bad environment with one message naming the variable', async () => {
    const proc = spawnScript('scripts/start.ts', { PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/PORT/);
    expect(proc.output()).toMatch(/LOG_LEVEL/);
    expect(proc.output()).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });
});
