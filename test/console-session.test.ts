import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import type { ApiLimits } from '../api/limits';
import { SESSION_COOKIE, sessionCodec } from '../api/session';
import { withConsole } from '../console';
import { createApiToken, revokeApiToken } from '../db/tokens';
import { installedConnectors } from '../plugins/registry';
import { connectTestClient, createTestDatabase, testLogger, testSecretBox } from './support/harness';

type Db = Awaited<ReturnType<typeof createTestDatabase>>;
type Client = Awaited<ReturnType<typeof connectTestClient>>;

// Sign-in, the cookie's flags, CSRF and read-only sessions, through app.request (no browser).
describe('console sessions', { timeout: 120_000 }, () => {
  let database: Db;
  let client: Client;
  const origin = 'http://console.test';

  const server = (secureCookie?: boolean, limits: Partial<ApiLimits> = {}) => {
    const api = createApp({
      db: database.db, temporal: client, taskQueue: 'unused', connectors: installedConnectors(), secretBox: testSecretBox, logger: testLogger,
      checks: { database: async () => {}, temporal: async () => {} }, limits: { ratePerMinute: 0, ...limits },
      ...(secureCookie === undefined ? {} : { session: { secureCookie } }),
    });
    return withConsole(api);
  };
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const formHeaders = (cookie: string, extra: Record<string, string> = {}) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded', ...extra });

  async function signIn(app: ReturnType<typeof server>, token: string) {
    const res = await app.request(`${origin}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form({ token }) });
    const setCookie = res.headers.get('set-cookie') ?? '';
    const value = /tb_session=([^;]+)/.exec(setCookie)?.[1];
    return { res, setCookie, cookie: value ? `${SESSION_COOKIE}=${value}` : '' };
  }
  async function session(app: ReturnType<typeof server>, cookie: string) {
    const res = await app.request(`${origin}/session`, { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as { csrfToken: string; role: string; tokenName: string } };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
  });
  afterAll(async () => {
    await client?.close();
    await database?.drop();
  });

  it('refuses a bad token with 401, and sets an HttpOnly, SameSite=Strict, Secure cookie for a good one', async () => {
    const app = server();
    const bad = await signIn(app, 'tb_not-a-token');
    expect(bad.res.status).toBe(401);
    expect(bad.setCookie).toBe('');
    expect(await bad.res.text()).toContain('not valid');
    expect((await app.request(`${origin}/session`, { method: 'POST', headers: { authorization: 'Bearer tb_nope' } })).status).toBe(401);

    const { token } = await createApiToken(database.db, 'alice');
    const good = await signIn(app, token);
    expect(good.res.status).toBe(303);
    expect(good.res.headers.get('location')).toBe('/ui');
    expect(good.setCookie).toMatch(/^tb_session=[\w-]+\.[\w-]+;/);
    expect(good.setCookie).toMatch(/; HttpOnly/);
    expect(good.setCookie).toMatch(/; SameSite=Strict/);
    expect(good.setCookie).toMatch(/; Secure/);
    expect(good.setCookie).toMatch(/; Path=\//);
    expect(good.setCookie).toMatch(/; Max-Age=28800/);
    // The cookie carries no token, only its id, role and expiry under a MAC.
    expect(good.setCookie).not.toContain(token);

    const page = await app.request(`${origin}/ui`, { headers: { cookie: good.cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Signed in as <strong>alice</strong>');
    expect((await app.request(`${origin}/projects`, { headers: { cookie: good.cookie } })).status).toBe(200);
  });

  it('tells the user who signed in too often to wait, with the API\'s 429 and Retry-After, never a 502 (issue 22)', async () => {
    const { token } = await createApiToken(database.db, 'patient');
    const expectWait = async (res: Response) => {
      expect(res.status).toBe(429);
      const wait = Number(res.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
      expect(await res.text()).toContain(`try again in ${wait} seconds`);
      expect(res.headers.get('set-cookie')).toBeNull();
    };
    // Failed sign-ins from one address: past the limit, whatever the token, the form says how long to wait.
    const guarded = server(undefined, { authFailuresPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await signIn(guarded, `tb_guess-${i}`)).res.status).toBe(401);
    await expectWait((await signIn(guarded, 'tb_guess-3')).res);
    await expectWait((await signIn(guarded, token)).res);

    // The per-token limit, spent by one token signing in again and again, is a wait too.
    const busy = server(undefined, { ratePerMinute: 2 });
    for (let i = 0; i < 2; i++) expect((await signIn(busy, token)).res.status).toBe(303);
    await expectWait((await signIn(busy, token)).res);
  });

  it('leaves Secure off only when told to (development over plain http)', async () => {
    const { token } = await createApiToken(database.db, 'dev');
    const { setCookie } = await signIn(server(false), token);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).not.toMatch(/Secure/);
  });

  it('refuses a write made with the cookie without the session\'s CSRF token, or from another site', async () => {
    const app = server();
    const { token } = await createApiToken(database.db, 'writer');
    const { cookie } = await signIn(app, token);
    const { body: s } = await session(app, cookie);
    const post = (headers: Record<string, string>) =>
      app.request(`${origin}/projects`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ key: `C${Date.now() % 100000}`, name: 'csrf' }) });

    const none = await post({});
    expect(none.status).toBe(403);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('csrf');
    expect((await post({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': s.csrfToken, origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ 'x-csrf-token': s.csrfToken, origin })).status).toBe(201);

    // The console's own forms: no token, a forged one, another site's Origin → nothing is created.
    const key = `K${Date.now() % 100000}`;
    const noToken = await app.request(`${origin}/ui/projects`, { method: 'POST', headers: formHeaders(cookie), body: form({ key, name: 'x' }) });
    expect(noToken.status).toBe(403);
    const crossSite = await app.request(`${origin}/ui/projects`, { method: 'POST', headers: formHeaders(cookie, { origin: 'https://evil.example' }), body: form({ key, name: 'x', _csrf: s.csrfToken }) });
    expect(crossSite.status).toBe(403);
    const projects = async () => ((await (await app.request(`${origin}/projects`, { headers: { cookie } })).json()) as { items: { key: string }[] }).items.map((p) => p.key);
    expect(await projects()).not.toContain(key);
    const ok = await app.request(`${origin}/ui/projects`, { method: 'POST', headers: formHeaders(cookie, { origin }), body: form({ key, name: 'x', _csrf: s.csrfToken }) });
    expect(ok.status).toBe(303);
    expect(await projects()).toContain(key);

    // Another session's CSRF token does not pass for this one.
    const other = await signIn(app, token);
    const otherToken = (await session(app, other.cookie)).body.csrfToken;
    expect(otherToken).not.toBe(s.csrfToken);
    expect((await post({ 'x-csrf-token': otherToken })).status).toBe(403);
  });

  it('gives a read-only token a read-only console: controls disabled, and the API refuses its writes', async () => {
    const app = server();
    const { token } = await createApiToken(database.db, 'viewer', 'read');
    const { res, cookie } = await signIn(app, token);
    expect(res.status).toBe(303);
    const { body: s } = await session(app, cookie);
    expect(s.role).toBe('read');
    const html = await (await app.request(`${origin}/ui`, { headers: { cookie } })).text();
    expect(html).toContain('This session is read-only');
    expect(html).toMatch(/<button type="submit" disabled="" title="Read-only session">Create project<\/button>/);

    const key = `R${Date.now() % 100000}`;
    const viaConsole = await app.request(`${origin}/ui/projects`, { method: 'POST', headers: formHeaders(cookie, { origin }), body: form({ key, name: 'r', _csrf: s.csrfToken }) });
    expect(viaConsole.status).toBe(303);
    expect(decodeURIComponent(viaConsole.headers.get('location') ?? '')).toMatch(/read-only/);
    const viaApi = await app.request(`${origin}/projects`, { method: 'POST', headers: { cookie, 'x-csrf-token': s.csrfToken, 'content-type': 'application/json' }, body: JSON.stringify({ key, name: 'r' }) });
    expect(viaApi.status).toBe(403);
    const list = (await (await app.request(`${origin}/projects`, { headers: { cookie } })).json()) as { items: { key: string }[] };
    expect(list.items.map((p) => p.key)).not.toContain(key);
  });

  it('ends a session when its token is revoked, when it expires or is tampered with, and on sign-out', async () => {
    const app = server();
    const { id, token } = await createApiToken(database.db, 'leaver');
    const { cookie } = await signIn(app, token);
    expect((await app.request(`${origin}/ui`, { headers: { cookie } })).status).toBe(200);

    const value = cookie.slice(SESSION_COOKIE.length + 1);
    const tampered = `${SESSION_COOKIE}=${Buffer.from(JSON.stringify({ t: id, r: 'admin', e: 4102444800 })).toString('base64url')}.${value.split('.')[1]}`;
    expect((await app.request(`${origin}/projects`, { headers: { cookie: tampered } })).status).toBe(401);
    const expired = `${SESSION_COOKIE}=${sessionCodec({ secretBox: testSecretBox }).issue({ tokenId: id, role: 'admin', expiresAt: Math.floor(Date.now() / 1000) - 1 })}`;
    expect((await app.request(`${origin}/projects`, { headers: { cookie: expired } })).status).toBe(401);

    const { body: s } = await session(app, cookie);
    const out = await app.request(`${origin}/ui/sign-out`, { method: 'POST', headers: formHeaders(cookie, { origin }), body: form({ _csrf: s.csrfToken }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/ui/sign-in');
    expect(out.headers.get('set-cookie')).toMatch(/^tb_session=; Max-Age=0/);

    await revokeApiToken(database.db, id);
    const after = await app.request(`${origin}/ui`, { headers: { cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/ui/sign-in');
    expect((await app.request(`${origin}/projects`, { headers: { cookie } })).status).toBe(401);
  });
});
