import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiToken } from '../db/tokens';
import { loadPlugins } from '../plugins/load';
import { FIRST_TOKEN_FILE, ensureFirstToken } from '../runtime/runtime';
import { connectTestClient, createTestApi, createTestDatabase, testLogger, testSecretBox } from './support/harness';
import { freePort, spawnScript } from './support/process';

type Spec = { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };

const WRITES = new Set(['post', 'put', 'patch', 'delete']);
const TOKEN = /tb_[A-Za-z0-9_-]{20,}/g;

describe('token roles', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let api: Awaited<ReturnType<typeof createTestApi>>;
  let readToken: string;

  beforeAll(async () => {
    // Its action is a write route like any other.
    await loadPlugins(['./test/fixtures/plugins/hello.ts']);
    database = await createTestDatabase();
    client = await connectTestClient();
    api = await createTestApi({ database, client, taskQueue: 'unused-security-tokens' });
    readToken = (await createApiToken(database.db, 'dashboard', 'read')).token;
  });
  afterAll(async () => {
    await client?.close();
    await database?.drop();
  });

  const asReader = (method: string, path: string, body?: unknown) =>
    api.app.request(path, {
      method,
      headers: { authorization: `Bearer ${readToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('answers 403 to a read token on every write operation in /openapi.json, and changes nothing', async () => {
    const spec = (await (await api.app.request('/openapi.json')).json()) as Spec;
    const writes = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops).filter((m) => WRITES.has(m)).map((method) => ({ method: method.toUpperCase(), path })));
    expect(writes.length).toBeGreaterThanOrEqual(20);
    // A real project and story, so that a write that slipped through would have something to change.
    const project = (await (await api.call('POST', '/projects', { key: 'SEC', name: 'Security' })).json()) as { id: string };
    const before = await (await api.call('GET', `/projects/${project.id}`)).text();

    const answers: string[] = [];
    // Webhook receivers take no bearer token at all: a signature or nothing (test/webhooks-in.test.ts).
    for (const path of Object.keys(spec.paths).filter((p) => p.startsWith('/webhooks/'))) {
      const res = await asReader('POST', path.replace(/\{[^}]+\}/g, project.id), {});
      expect(res.status, path).toBe(401);
    }
    // Signing in and out changes nothing in the hub, and a read token gets a read-only console: it may (test/console-session.test.ts).
    expect((await asReader('POST', '/session')).status).toBe(201);
    for (const { method, path } of writes.filter((w) => !w.path.startsWith('/webhooks/') && w.path !== '/session')) {
      const concrete = path.replace(/\{[^}]+\}/g, project.id);
      const res = await asReader(method, concrete, { key: 'X', name: 'changed', title: 't' });
      answers.push(`${method} ${path} → ${res.status}`);
      if (res.status === 403) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    expect(answers.filter((a) => !a.endsWith('→ 403'))).toEqual([]);
    expect(await (await api.call('GET', `/projects/${project.id}`)).text()).toBe(before);
    expect((await (await api.call('GET', '/projects')).json()) as { items: unknown[] }).toMatchObject({ items: [expect.anything()] });
  });

  it('lets a read token read, and an admin token write', async () => {
    expect((await asReader('GET', '/connections')).status).toBe(200);
    expect((await asReader('GET', '/projects')).status).toBe(200);
    expect((await api.call('POST', '/projects', { key: 'ADM', name: 'Admin writes' })).status).toBe(201);
  });

  it('npm run -s token -- create prints only the token when captured, with the role asked for', async () => {
    const run = promisify(execFile);
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, LOG_FORMAT: 'json' };
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'create', 'ci-reader', '--role', 'read'], { env });
    expect(stdout).toMatch(/^tb_[A-Za-z0-9_-]{40,}\n$/);
    expect(stderr).not.toContain(stdout.trim());
    const token = stdout.trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await api.app.request('/projects', { headers })).status).toBe(200);
    expect((await api.app.request('/projects', { method: 'POST', headers, body: JSON.stringify({ key: 'CLI', name: 'x' }) })).status).toBe(403);

    const listed = await run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'list'], { env });
    expect(listed.stdout).toMatch(/read\s+ci-reader/);
    const bad = await run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', 'create', 'x', '--role', 'root'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--role must be one of: admin, read') });
  });
});

describe('the first admin token', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const dataDir = mkdtempSync(join(tmpdir(), 'tb-first-token-'));
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is never written to the logs of a non-interactive API: it goes to a 0600 file under DATA_DIR, whose path is logged', async () => {
    const port = await freePort();
    const proc = spawnScript('scripts/api.ts', {
      DATABASE_URL: database.url, DATA_DIR: dataDir, PORT: String(port), TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_FORMAT: 'json',
    });
    try {
      await proc.waitFor(/API listening/);
      const file = join(dataDir, FIRST_TOKEN_FILE);
      expect(proc.output()).toContain(JSON.stringify(file));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, 'utf8').trim();
      expect(proc.output().match(TOKEN)).toBeNull();
      const res = await fetch(`http://127.0.0.1:${port}/projects`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ key: 'FIRST', name: 'First' }),
      });
      expect(res.status).toBe(201);
    } finally {
      await proc.stop('SIGINT');
    }
    expect(proc.output().match(TOKEN)).toBeNull();
  });

  it('is shown on an interactive terminal instead, and no file is written', async () => {
    const other = await createTestDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'tb-first-tty-'));
    try {
      let shown = '';
      await ensureFirstToken({ database: other, secretBox: testSecretBox }, { dataDir: dir, logger: testLogger, terminal: { isTTY: true, write: (t) => (shown += t) } });
      expect(shown).toMatch(TOKEN);
      expect(() => statSync(join(dir, FIRST_TOKEN_FILE))).toThrow();
    } finally {
      await other.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
