import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { installedConnectors } from '../plugins/registry';
import { DestinationRefusedError, type DestinationPolicy, guardedFetch, openDestinations, refuseAddress, refuseBaseUrl } from '../connectors/http/destination';
import { queryRows } from '../db/client';
import { createApiToken } from '../db/tokens';
import { loadConfig } from '../lib/config';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { connectTestClient, createTestDatabase, eventually, startTestWorker, testLogger, testSecretBox } from './support/harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The policy of a production deployment with this TRACKBRIDGE_ALLOWED_HOSTS. */
const production = (allowed?: string): DestinationPolicy => ({
  restrictPrivate: true,
  allowed: loadConfig(allowed ? { TRACKBRIDGE_ALLOWED_HOSTS: allowed } : {}).TRACKBRIDGE_ALLOWED_HOSTS ?? [],
});
const NEVER = /link-local or cloud metadata/;
const PRIVATE = /private or loopback address; allow it with TRACKBRIDGE_ALLOWED_HOSTS/;

describe('destination policy: the address table', () => {
  it.each([
    ['169.254.169.254', 'AWS/GCP/Azure metadata'], ['169.254.170.2', 'ECS task metadata'], ['169.254.1.1', 'IPv4 link-local'],
    ['100.100.100.200', 'Alibaba metadata'], ['fd00:ec2::254', 'AWS metadata over IPv6'], ['fe80::1', 'IPv6 link-local'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'], ['224.0.0.1', 'multicast'], ['255.255.255.255', 'broadcast'],
    ['::169.254.169.254', 'IPv4-compatible metadata'], ['64:ff9b::a9fe:a9fe', 'NAT64 metadata'], ['2002:a9fe:a9fe::1', '6to4 metadata'],
  ])('always refuses %s (%s), allowlisted or not, in production or not', (address) => {
    expect(refuseAddress(openDestinations, address)).toMatch(NEVER);
    expect(refuseAddress(production(), address)).toMatch(NEVER);
    expect(refuseAddress(production('169.254.0.0/16,fe80::/10,0.0.0.0/0,::/0'), address)).toMatch(NEVER);
  });

  it.each([
    ['127.0.0.1', 'loopback'], ['127.8.9.10', 'loopback /8'], ['::1', 'IPv6 loopback'], ['0.0.0.0', 'unspecified'], ['::', 'IPv6 unspecified'],
    ['10.1.2.3', '10/8'], ['172.16.0.1', '172.16/12'], ['172.31.255.255', '172.16/12 end'], ['192.168.1.1', '192.168/16'],
    ['100.64.0.1', 'CGNAT 100.64/10'], ['fc00::1', 'ULA fc00::/7'], ['fd12:3456::1', 'ULA fd'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'], ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'], ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::127.0.0.1', 'IPv4-compatible loopback'], ['::7f00:1', 'IPv4-compatible loopback, hex'], ['::ffff:0:7f00:1', 'SIIT IPv4-translated loopback'],
    ['64:ff9b::7f00:1', 'NAT64 loopback'], ['64:ff9b::10.0.0.1', 'NAT64 private'], ['64:ff9b:1::7f00:1', 'local-use NAT64'],
    ['2002:7f00:1::', '6to4 loopback'], ['2002:c0a8:101:1::1', '6to4 192.168.1.1'],
  ])('refuses %s (%s) in production unless allowlisted, and allows it in development', (address) => {
    expect(refuseAddress(production(), address)).toMatch(PRIVATE);
    expect(refuseAddress(openDestinations, address)).toBeNull();
    expect(refuseAddress(production('0.0.0.0/0,::/0'), address)).toBeNull();
  });

  it.each(['8.8.8.8', '140.82.112.3', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '169.255.0.1', '64:ff9b::808:808', '2002:808:808::1', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(refuseAddress(production(), address)).toBeNull();
  });

  it('allows exactly what TRACKBRIDGE_ALLOWED_HOSTS names: a range, an address, a host name', () => {
    const policy = production('10.20.0.0/16, 192.168.1.5, redmine.internal');
    expect(refuseAddress(policy, '10.20.3.4')).toBeNull();
    expect(refuseAddress(policy, '10.21.3.4')).toMatch(PRIVATE);
    expect(refuseAddress(policy, '192.168.1.5')).toBeNull();
    expect(refuseAddress(policy, '192.168.1.6')).toMatch(PRIVATE);
    expect(refuseAddress(policy, '172.16.5.5', 'redmine.internal')).toBeNull();
    expect(refuseAddress(policy, '172.16.5.5', 'jira.internal')).toMatch(PRIVATE);
    // An address embedded in IPv6 is allowed as the IPv4 address it carries; IPv6's own ::1 is not an IPv4 one.
    expect(refuseAddress(policy, '64:ff9b::a14:304')).toBeNull();
    expect(refuseAddress(policy, '2002:a15:304::')).toMatch(PRIVATE);
    expect(refuseAddress(production('::1'), '::1')).toBeNull();
    expect(refuseAddress(production('::1'), '::127.0.0.1')).toMatch(PRIVATE);
  });

  it('checks every address a name resolves to, and the URL itself', async () => {
    const resolvesTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const policy = production();
    expect(await refuseBaseUrl(policy, 'https://tracker.example.com', resolvesTo('93.184.216.34', '10.0.0.7'))).toMatch(PRIVATE);
    expect(await refuseBaseUrl(openDestinations, 'https://tracker.example.com', resolvesTo('93.184.216.34', '169.254.169.254'))).toMatch(NEVER);
    expect(await refuseBaseUrl(policy, 'https://tracker.example.com', resolvesTo('93.184.216.34'))).toBeNull();
    expect(await refuseBaseUrl(policy, 'https://tracker.example.com', async () => { throw new Error('ENOTFOUND'); })).toBeNull();
    expect(await refuseBaseUrl(openDestinations, 'http://metadata.google.internal/computeMetadata/v1')).toMatch(NEVER);
    expect(await refuseBaseUrl(openDestinations, 'http://[fd00:ec2::254]/latest')).toMatch(NEVER);
    // Other spellings of an address are normalised by the URL parser before the check.
    expect(await refuseBaseUrl(openDestinations, 'http://0xa9.0xfe.0xa9.0xfe/')).toMatch(NEVER);
    expect(await refuseBaseUrl(policy, 'http://2130706433:5432/')).toMatch(PRIVATE);
    expect(await refuseBaseUrl(policy, 'http://[::ffff:a00:1]/')).toMatch(PRIVATE);
    expect(await refuseBaseUrl(policy, 'http://METADATA.google.internal./')).toMatch(NEVER);
    // Read as the IPv4 address they embed, or (localhost and its subdomains, RFC 6761) as loopback without asking DNS.
    const noDns = async () => { throw new Error('not asked'); };
    for (const spelling of ['http://sub.localhost/', 'http://a.b.LOCALHOST./', 'http://[::127.0.0.1]/', 'http://[64:ff9b::7f00:1]/', 'http://[2002:7f00:1::]/', 'http://[::ffff:0:7f00:1]/']) {
      expect(await refuseBaseUrl(policy, spelling, noDns), spelling).toMatch(PRIVATE);
      expect(await refuseBaseUrl(openDestinations, spelling, noDns), spelling).toBeNull();
    }
    expect(await refuseBaseUrl(openDestinations, 'http://[64:ff9b::a9fe:a9fe]/', noDns)).toMatch(NEVER);
    expect(await refuseBaseUrl(openDestinations, 'https://bob:hunter2@redmine.example.com')).toMatch(/credentials/);
    expect(await refuseBaseUrl(openDestinations, 'https://redmine.example.com/#')).toMatch(/fragment/);
    expect(await refuseBaseUrl(openDestinations, 'https://redmine.example.com/x#/projects')).toMatch(/fragment/);
  });
});

describe('destination policy at connect time', () => {
  let server: GitHubDouble;
  beforeAll(async () => { server = await startGitHubDouble(); });
  afterAll(async () => { await server?.close(); });

  it('refuses a name that resolves to a forbidden address when connecting, before any byte is sent', async () => {
    const url = server.url.replace('127.0.0.1', 'localhost'); // a name: only DNS says where it goes
    const before = server.requests().length;
    const refused = await guardedFetch(production())(`${url}/user`).then(() => null, (err: unknown) => err);
    expect(refused).toBeInstanceOf(DestinationRefusedError);
    expect(String((refused as Error).message)).toMatch(PRIVATE);
    expect(await guardedFetch(production())(`${server.url}/user`).catch((err: unknown) => err)).toBeInstanceOf(DestinationRefusedError);
    expect(server.requests().length).toBe(before);
    // The same request goes through where the allowlist names the host, or outside production.
    expect((await guardedFetch(production('localhost'))(`${url}/user`, { headers: { authorization: `Bearer ${server.token}` } })).status).toBe(200);
    expect((await guardedFetch(openDestinations)(`${url}/user`, { headers: { authorization: `Bearer ${server.token}` } })).status).toBe(200);
    expect(server.requests().length).toBe(before + 2);
  });
});

describe('destination policy through the API and the worker', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let gh: GitHubDouble;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = await connectTestClient();
    // The worker runs with the production policy; each test's API has its own.
    worker = await startTestWorker({ db: database.db, destinations: production() });
    gh = await startGitHubDouble();
    token = (await createApiToken(database.db, 'sec', 'admin')).token;
  });
  afterAll(async () => {
    await gh?.close();
    await worker?.stop();
    await client?.close();
    await database?.drop();
  });

  const apiWith = (destinations: DestinationPolicy) => {
    const app = createApp({
      db: database.db, temporal: client, taskQueue: worker.taskQueue, connectors: installedConnectors(), secretBox: testSecretBox, logger: testLogger, destinations,
      checks: { database: () => database.ping(), temporal: async () => undefined },
    });
    return (method: string, path: string, body?: unknown) =>
      app.request(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  };
  const create = (call: ReturnType<typeof apiWith>, baseUrl: string) =>
    call('POST', '/connections', { connector: 'redmine', name: 'r', config: { baseUrl }, secrets: { apiKey: 'k-0123456789' } });
  const connectionCount = async () => (await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from connections`))[0]!.n;

  it('refuses a forbidden baseUrl when a connection is created: 400 naming config.baseUrl, nothing stored, one message per class whatever the port', async () => {
    const call = apiWith(production());
    const before = await connectionCount();
    const messages = new Map<string, string>();
    for (const baseUrl of [
      'http://169.254.169.254/latest/meta-data', 'http://[fd00:ec2::254]/', 'http://metadata.google.internal/', 'http://100.100.100.200/',
      'http://127.0.0.1:5432', 'http://127.0.0.1:7233', 'http://localhost:3000', 'http://[::ffff:127.0.0.1]:6379', 'http://10.0.0.8', 'http://0.0.0.0:8080',
      'http://sub.localhost:5432', 'http://[::127.0.0.1]:5432', 'http://[64:ff9b::7f00:1]:5432', 'http://[2002:7f00:1::]:5432',
      'https://bob:hunter2@redmine.example.com', 'https://redmine.example.com/#',
    ]) {
      const res = await create(call, baseUrl);
      const body = (await res.json()) as Json;
      expect(res.status, baseUrl).toBe(400);
      expect(body.error.fields, baseUrl).toEqual([{ path: 'config.baseUrl', message: expect.any(String) }]);
      messages.set(baseUrl, body.error.fields[0].message);
    }
    expect(await connectionCount()).toBe(before);
    // Postgres, Temporal and the API itself answer alike: nothing tells the services apart.
    expect(new Set([5432, 7233].map((port) => messages.get(`http://127.0.0.1:${port}`))).size).toBe(1);
    expect(messages.get('http://localhost:3000')).toBe(messages.get('http://127.0.0.1:5432'));
    for (const spelling of ['sub.localhost', '[::127.0.0.1]', '[64:ff9b::7f00:1]', '[2002:7f00:1::]']) {
      expect(messages.get(`http://${spelling}:5432`), spelling).toBe(messages.get('http://127.0.0.1:5432'));
    }
    expect(messages.get('http://127.0.0.1:5432')).toMatch(/egress policy/);
    expect(messages.get('https://bob:hunter2@redmine.example.com')).not.toContain('hunter2');
  });

  it('accepts private destinations the allowlist names, and any outside production except link-local and metadata', async () => {
    expect((await create(apiWith(production('127.0.0.0/8')), 'http://127.0.0.1:3100')).status).toBe(201);
    expect((await create(apiWith(production('localhost')), 'http://localhost:3100')).status).toBe(201);
    expect((await create(apiWith(openDestinations), 'http://127.0.0.1:3100')).status).toBe(201);
    expect((await create(apiWith(openDestinations), 'http://169.254.169.254/')).status).toBe(400);
    expect((await create(apiWith(production()), 'https://redmine.example.com')).status).toBe(201);
  });

  it('refuses at connect time what passed when the connection was created (DNS rebinding), with a classified reason and no request sent', async () => {
    // Created where loopback was fine; the worker, in production, must still refuse to connect.
    const call = apiWith(openDestinations);
    const created = (await (await call('POST', '/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url.replace('127.0.0.1', 'localhost') }, secrets: { token: gh.token } })).json()) as Json;
    const before = gh.requests().length;
    const { statusUrl } = (await (await call('POST', `/connections/${created.id}/test`)).json()) as Json;
    const run = await eventually(async () => {
      const body = (await (await call('GET', statusUrl)).json()) as Json;
      return body.status === 'running' ? undefined : body;
    });
    expect(run).toMatchObject({ status: 'completed', result: { ok: false } });
    expect(run.result.message).toMatch(PRIVATE);
    expect(gh.requests().length).toBe(before);
  });
});
