import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthError, isPermanentError, isRateLimitedError, isRemoteError, isTransientError, RemoteError } from '../connectors/errors';
import { DestinationRefusedError, isDestinationRefused } from '../connectors/http/destination';
import { type BuiltPackage, buildPackages } from '../scripts/build-packages';
import { lockPackages } from './support/packages-lock';
import type * as sdkSource from '../sdk/index';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');

type SdkModule = typeof sdkSource;

interface PackedFile { path: string }
interface PackResult { filename: string; size: number; unpackedSize: number; files: PackedFile[] }

const pack = async (dir: string, destination: string, dryRun: boolean): Promise<PackResult> => {
  const args = ['pack', dir, '--json', '--ignore-scripts', '--pack-destination', destination, ...(dryRun ? ['--dry-run'] : [])];
  const { stdout } = await run('npm', args, { cwd: destination });
  const [result] = JSON.parse(stdout) as PackResult[];
  if (!result) throw new Error(`npm pack ${dir} printed no result`);
  return result;
};

/**
 * Issue 23.1: the SDK and the kit as the packages a plugin author installs. They are built here from
 * the sources (`scripts/build-packages.ts --check`), so what this asserts is what `npm publish` ships.
 */
describe('@trackbridge/sdk and @trackbridge/testing, built', { timeout: 120_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tb-packages-'));
  let built: BuiltPackage[];
  const pkg = (name: string): BuiltPackage => {
    const found = built.find((p) => p.name === name);
    if (!found) throw new Error(`${name} was not built`);
    return found;
  };

  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await lockPackages();
    built = await buildPackages({ check: true });
  }, 420_000);
  afterAll(() => {
    release?.();
    rmSync(work, { recursive: true, force: true });
  });

  it('bundles the SDK from nothing of the server: no package but zod, no HTTP client, config or metrics', () => {
    const sdk = pkg('@trackbridge/sdk');
    const inputs = Object.keys(sdk.metafile.inputs);
    expect(inputs.filter((input) => input.includes('node_modules/') && !input.includes('node_modules/zod/')), 'packages bundled into the SDK').toEqual([]);
    expect(sdk.externalImports, 'packages the SDK imports at run time').toEqual(['zod']);
    const server = ['connectors/http/client.ts', 'connectors/http/destination.ts', 'connectors/connect.ts', 'lib/metrics.ts', 'lib/config.ts', 'plugins/load.ts'];
    expect(inputs.filter((input) => server.includes(input)), 'server modules in the SDK bundle').toEqual([]);
  });

  it('keeps the kit free of the server’s database, workflows and API', () => {
    const testing = pkg('@trackbridge/testing');
    const runtime = testing.externalImports.filter((name) => !['@trackbridge/sdk', 'vitest'].includes(name));
    expect(runtime.filter((name) => /^(@temporalio|pg|hono|@hono|drizzle-orm|pino)$/.test(name))).toEqual([]);
    expect(Object.keys(testing.metafile.inputs).filter((input) => /^(db|api|runtime|workflows|activities|sync)\//.test(input))).toEqual([]);
  });

  it('has API reports that match the public surfaces', () => {
    expect(built.filter((p) => !p.reportCurrent).map((p) => p.name), 'packages whose surface changed without packages/*/etc/*.api.md').toEqual([]);
  });

  it('packs the built files, package.json, README and LICENSE only', async () => {
    for (const { dir, name } of built) {
      const packed = await pack(dir, work, true);
      const paths = packed.files.map((f) => f.path).sort();
      expect(paths.filter((p) => !/^(dist\/.+|package\.json|README\.md|LICENSE)$/.test(p)), `unexpected files in ${name}`).toEqual([]);
      expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'package.json']));
    }
  });

  it('classifies errors built by the packed SDK with the server’s own checks, and the other way round', async () => {
    const dist = (await import(pathToFileURL(join(pkg('@trackbridge/sdk').dir, 'dist/index.js')).href)) as SdkModule;
    const limited = new dist.RateLimitedError('TinyTracker', 'slow down', 429, 5_000);
    // Two copies of the classes: the guards must not rest on instanceof.
    expect(limited instanceof RemoteError).toBe(false);
    expect([isRemoteError(limited), isTransientError(limited), isRateLimitedError(limited), isPermanentError(limited)]).toEqual([true, true, true, false]);
    expect(isAuthError(new dist.AuthError('token revoked', 401))).toBe(true);
    expect(isRateLimitedError(new dist.TransientError('flaky', 503))).toBe(false);
    const refused = new Error('fetch failed', { cause: new dist.DestinationRefusedError('loopback address') });
    expect(isDestinationRefused(refused)).toBe(true);
    expect(isDestinationRefused(new Error('fetch failed', { cause: new dist.PermanentError('gone', 410) }))).toBe(false);
    expect(dist.isDestinationRefused(new DestinationRefusedError('private address'))).toBe(true);
    expect(dist.isPermanentError(new DestinationRefusedError('private address'))).toBe(true);
  });

  it('type-checks a plugin against the packed SDK with the author’s own tsc, default lib and no Node types', async () => {
    const tarball = await pack(pkg('@trackbridge/sdk').dir, work, false);
    const plugin = join(work, 'plugin');
    const installed = join(plugin, 'node_modules/@trackbridge/sdk');
    mkdirSync(installed, { recursive: true });
    await run('tar', ['-xzf', join(work, tarball.filename), '-C', installed, '--strip-components=1']);
    // zod is the SDK's one dependency: the checkout's copy stands in for the registry's.
    symlinkSync(join(repoRoot, 'node_modules/zod'), join(plugin, 'node_modules/zod'), 'dir');
    writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'trackbridge-plugin-check', type: 'module', dependencies: { '@trackbridge/sdk': '^1.1.0' } }));
    // No `lib`, no `skipLibCheck` and no @types/node: the SDK's declarations must stand on their own.
    writeFileSync(join(plugin, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true } }));
    writeFileSync(join(plugin, 'index.ts'), pluginSource);
    const failure = await run('node', [tsc, '-p', plugin], { cwd: plugin }).then(() => '', (error: { stdout?: string; message: string }) => error.stdout || error.message);
    expect(failure, 'tsc --noEmit in the plugin').toBe('');
  });
});

/** A plugin on most of the surface: a connector on the shared HTTP helpers, an action and a hook. */
const pluginSource = `
import {
  PLUGIN_API_VERSION, PermanentError, TransientError, defineAction, defineConnector, defineHook, definePlugin, httpConfigFields,
  isRateLimitedError, pullIncremental, verifySignature, z, type RemoteItem,
} from '@trackbridge/sdk';

const ticket = z.object({ id: z.number(), title: z.string(), body: z.string(), state: z.enum(['open', 'closed']), updated: z.string() });
type Ticket = z.infer<typeof ticket>;

const toItem = (t: Ticket): RemoteItem => ({
  remoteId: String(t.id), key: '#' + t.id, url: 'https://tickets.example/' + t.id, createdAt: t.updated, updatedAt: t.updated,
  fields: { title: t.title, description: t.body, status: t.state, closed: t.state === 'closed', priority: null, assignee: null, labels: [], customFields: {} },
  raw: t,
});

export const tickets = defineConnector({
  slug: 'tickets', name: 'Tickets', description: 'A small tracker', logoUrl: 'https://tickets.example/logo.svg',
  configSchema: z.object({ baseUrl: z.string().url(), ...httpConfigFields }),
  secretsSchema: z.object({ token: z.string().min(1) }),
  fields: ['title', 'description', 'status'],
  conditionalRequests: false,
  http: { service: 'Tickets', auth: { header: 'authorization', value: (s) => 'Bearer ' + s.token } },
  session: (ctx) => ctx.http,
  reader: (http) => ({
    testConnection: async () => ({ ok: true, message: 'ok' }),
    listScopes: async () => [],
    pull: (scope, cursor) => pullIncremental<Ticket>({
      fetchPage: async ({ since, page }) => {
        const items = await http.json({ path: '/' + scope + '/tickets', query: { since, page } }, z.array(ticket));
        return { notModified: false, items, hasNext: items.length === 50, etag: null };
      },
      id: (t) => String(t.id),
      updatedAt: (t) => t.updated,
      toItems: (raws) => raws.map(toItem),
      overlapMs: 1000,
      onInvalidCursor: () => { throw new PermanentError('bad cursor'); },
    }, cursor),
    getItem: async (scope, id) => toItem(await http.json({ path: '/' + scope + '/tickets/' + id }, ticket)),
    listComments: async () => [],
  }),
});

export const stats = defineAction({
  name: 'stats', description: 'Counts tickets', params: z.object({ scope: z.string() }),
  async run(ctx, params) {
    const res = await ctx.egress.fetch('https://tickets.example/' + params.scope + '/count');
    if (res.status === 503) throw new TransientError('busy', 503);
    ctx.logger.info({ scope: params.scope }, 'counted');
    return { count: Number(await res.text()) };
  },
});

export const pushed = defineHook({
  name: 'pushed', on: 'push.succeeded',
  async run(ctx) { ctx.logger.debug({ firingId: ctx.firingId }, 'pushed'); },
});

export const signed = (secret: string, header: string | null, body: string): boolean => verifySignature(secret, header, body).ok;
export const waitLonger = (error: unknown): boolean => isRateLimitedError(error);

export default definePlugin({
  name: 'trackbridge-plugin-check', version: '1.0.0', apiVersion: PLUGIN_API_VERSION,
  connectors: [tickets], actions: [stats], hooks: [pushed],
});
`;
