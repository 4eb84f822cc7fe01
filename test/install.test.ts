import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Connection, Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { lockPackages } from './support/packages-lock';
import { hubClient, type HubClient } from './support/faults-stack';
import { createTestDatabase, eventually } from './support/harness';
import { freePort } from './support/process';
import { track } from './support/resources';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The plugin the scaffold writes for this test, and the names it derives (cli/plugin-init.ts). */
const SLUG = 'acme-tracker';
const PLUGIN = `trackbridge-plugin-${SLUG}`;
/** A connector package from this repository's workspace, installed as a third party's would be (issue 26). */
const GITLAB = '@trackbridge/connector-gitlab';
const LINEAR = '@trackbridge/connector-linear';

/** What the scaffold's `src/server.ts` exports (`startAcmeTracker`), as far as this test uses it. */
interface Tracker {
  url: string;
  token: string;
  seed(n: number, project?: string): number[];
  edit(id: number, patch: { title?: string; description?: string; status?: 'open' | 'closed' }): unknown;
  item(id: number): { id: number; title: string; description: string; status: string } | undefined;
  items(project?: string): { id: number; title: string; description: string; status: string }[];
  close(): Promise<void>;
}

/**
 * PATH with node and npm but none of the checkout's `node_modules/.bin`: vitest runs under npx, which
 * puts them (tsx among them) first. Each child gets this, HOME and what it is given, nothing more.
 */
const plainPath = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !/node_modules[\\/]\.bin/.test(dir)).join(delimiter);
const baseEnv = (): Record<string, string> => ({ PATH: plainPath, HOME: process.env.HOME ?? tmpdir() });

async function sh(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, { cwd: options.cwd, env: options.env ?? baseEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed: ${message}\n${(stderr ?? '').slice(-4000)}\n${(stdout ?? '').slice(-2000)}`, { cause: error });
  }
}

/** `npm pack` of a package folder into `destination`; npm runs its `prepack` first. Returns the tarball's path. */
async function npmPack(dir: string, destination: string): Promise<string> {
  const { stdout } = await sh('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: dir });
  const file = stdout.trim().split('\n').at(-1) ?? '';
  if (!file.endsWith('.tgz')) throw new Error(`npm pack in ${dir} printed no tarball name:\n${stdout.slice(-2000)}`);
  return join(destination, file);
}

const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;

/**
 * Issue 23: trackbridge installed as a user installs it, and the Docker image's runtime stage, each run
 * by plain `node` with no checkout in reach. One build serves both: `npm pack` of the repository (its
 * `prepack` builds dist/ and the SDK packages), of `@trackbridge/sdk` and `@trackbridge/testing`, and of
 * a plugin the scaffold writes; the runtime stage's dist/ is the same build's (scripts/build.ts, as the
 * Dockerfile's build stage runs it).
 */
describe('trackbridge as users install it', { timeout: 180_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'tb-install-'));
  const tarballs = join(work, 'tarballs');
  const pluginDir = join(work, PLUGIN);
  const host = join(work, 'host');
  const image = join(work, 'image');
  const builtDist = join(work, 'build-stage-dist');
  const hookLog = join(work, 'push-log.ndjson');
  const packed: { root: string; sdk: string; testing: string; plugin: string; gitlab: string; linear: string } = { root: '', sdk: '', testing: '', plugin: '', gitlab: '', linear: '' };
  let installLog = '';
  let runtimeStage: RuntimeStage;
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, step: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await step();
    } finally {
      timings[label] = Date.now() - started;
    }
  };

  beforeAll(async () => {
    mkdirSync(tarballs);
    // `npx trackbridge` in a checkout runs dist/ when there is one: a checkout without one is left without.
    const hadDist = existsSync(join(repoRoot, 'dist'));
    // Other test files build packages/*/dist concurrently (example-plugin, packages): one at a time.
    const release = await lockPackages(600_000);
    try {
      packed.root = await timed('pack trackbridge (prepack: npm run build)', () => npmPack(repoRoot, tarballs));
      packed.sdk = await npmPack(join(repoRoot, 'packages/sdk'), tarballs);
      packed.testing = await npmPack(join(repoRoot, 'packages/testing'), tarballs);
      // Its prepack compiles it (tsc) against the SDK just built into packages/sdk/dist.
      packed.gitlab = await npmPack(join(repoRoot, 'packages/connector-gitlab'), tarballs);
      packed.linear = await npmPack(join(repoRoot, 'packages/connector-linear'), tarballs);
      // The scaffold, run by the CLI just compiled (bin/trackbridge.js runs dist/cli.js when it exists).
      await sh(process.execPath, [join(repoRoot, 'bin/trackbridge.js'), 'plugin', 'init', SLUG, '--dir', pluginDir], { cwd: work });
      // The Dockerfile's build stage runs the same scripts/build.ts into its dist/.
      cpSync(join(repoRoot, 'dist'), builtDist, { recursive: true });
    } finally {
      if (!hadDist) rmSync(join(repoRoot, 'dist'), { recursive: true, force: true });
      release();
    }

    const installed = timed('plugin: npm install + npm pack, then the host install', async () => {
      // As its author would: install its dependencies (the SDK and the kit from their tarballs, as they
      // are not published from here; --no-save keeps its package.json's ranges) and pack it, which
      // compiles it (prepack: tsc) against the packed SDK.
      await sh('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', packed.sdk, packed.testing], { cwd: pluginDir });
      packed.plugin = await npmPack(pluginDir, tarballs);
      // An empty folder, the six tarballs, nothing else. `--loglevel http` lists every registry request.
      mkdirSync(host);
      writeFileSync(join(host, 'package.json'), `${JSON.stringify({ name: 'tb-install-host', version: '1.0.0', private: true }, null, 2)}\n`);
      const { stderr } = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'http', packed.root, packed.sdk, packed.testing, packed.plugin], { cwd: host });
      // Then the connector packages, added to that install as a user adds plugins. (In one command with the
      // SDK's tarball, npm resolves a dependent whose name sorts before `@trackbridge/sdk` before it places
      // the SDK, and asks the registry for it first.)
      const connectors = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel', 'http', packed.gitlab, packed.linear], { cwd: host });
      installLog = `${stderr}\n${connectors.stderr}`;
    });
    const layout = timed('runtime stage: the Dockerfile in a folder', async () => {
      runtimeStage = await buildRuntimeStage(image, { build: builtDist }, work);
    });
    await Promise.all([installed, layout]);
  }, 1_200_000);

  afterAll(() => {
    // The phases' durations, for whoever watches CI's time.
    console.info(`install.test.ts setup: ${Object.entries(timings).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`).join('; ')}`);
    rmSync(work, { recursive: true, force: true });
  });

  describe('from the tarballs into an empty folder', () => {
    it('packs dist/, the launcher and the templates, and no sources', async () => {
      const { stdout } = await sh('tar', ['-tzf', packed.root], { cwd: work });
      const files = stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
      expect(files.filter((f) => !/^(bin\/|dist\/|templates\/|package\.json$|README\.md$|LICENSE$|CHANGELOG\.md$)/.test(f)), 'files outside package.json `files`').toEqual([]);
      expect(files).toEqual(expect.arrayContaining([
        'bin/trackbridge.js', 'dist/cli.js', 'dist/workflow-bundle.js', 'dist/migrations/meta/_journal.json', 'dist/package.json',
        'templates/plugin/package.json.tmpl', 'LICENSE', 'README.md',
      ]));
      expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.ts.tmpl'))).toEqual([]);
    });

    it('installs the four tarballs without asking the registry for trackbridge, its packages or the plugin', () => {
      const lock = readJson(join(host, 'package-lock.json')) as { packages: Record<string, { resolved?: string; version?: string }> };
      const fromTarball = (name: string, tarball: string) => expect(lock.packages[`node_modules/${name}`]?.resolved, name).toBe(`file:${relative(host, tarball)}`);
      fromTarball('trackbridge', packed.root);
      fromTarball('@trackbridge/sdk', packed.sdk);
      fromTarball('@trackbridge/testing', packed.testing);
      fromTarball(PLUGIN, packed.plugin);
      fromTarball(GITLAB, packed.gitlab);
      fromTarball(LINEAR, packed.linear);
      // npm logs each registry request at `http`, cached or not: zod's shows the log is there; none is ours.
      const requests = installLog.split('\n').filter((line) => /\bhttp fetch \w+ \d+ /.test(line));
      expect(requests.some((line) => /\/zod\b/.test(line)), `npm's http log names zod:\n${installLog.slice(0, 2000)}`).toBe(true);
      expect(requests.filter((line) => /\/(trackbridge(-plugin-[\w-]+)?|@trackbridge%2f[\w-]+)(\s|\?|$)/i.test(line))).toEqual([]);
      // One copy of the SDK: the plugin's and the kit's, hoisted.
      expect(existsSync(join(host, 'node_modules', PLUGIN, 'node_modules/@trackbridge/sdk'))).toBe(false);
      // No TypeScript loader anywhere in the folder.
      expect(existsSync(join(host, 'node_modules/tsx'))).toBe(false);
    });

    it('keeps the plugin depending on the SDK by version range, not on the tarball it was built with', async () => {
      const manifest = readJson(join(host, 'node_modules', PLUGIN, 'package.json'));
      const sdkVersion = readJson(join(repoRoot, 'packages/sdk/package.json')).version as string;
      expect(manifest.dependencies).toEqual(readJson(join(pluginDir, 'package.json')).dependencies);
      expect(manifest.dependencies['@trackbridge/sdk']).toMatch(/^\^\d+\.\d+\.\d+$/);
      expect(readJson(join(host, 'node_modules/@trackbridge/sdk/package.json')).version).toBe(sdkVersion);
      expect(existsSync(join(host, 'node_modules', PLUGIN, 'dist/index.js'))).toBe(true);
    });

    it('`npx trackbridge plugin init` writes a plugin from the installed templates', async () => {
      const dir = join(work, 'second-plugin');
      await sh('npx', ['trackbridge', 'plugin', 'init', 'second', '--dir', dir], { cwd: host });
      expect(sourceFiles(dir)).toEqual(sourceFiles(pluginDir));
      expect(readJson(join(dir, 'package.json')).name).toBe('trackbridge-plugin-second');
    });
  });

  describe('`npx trackbridge start` in that folder', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let tracker: Tracker;
    let server: Launched;
    let hub: HubClient;
    let apiUrl: string;
    let node: number;
    let devServer: number | undefined;
    let connectionId: string;
    let adminToken: string;
    /** Starts a binding's initial sync and waits for its run to end, as its progress page would. */
    const initialSync = async (bindingId: string): Promise<Json> => {
      const { workflowId } = await hub.call('POST', `/bindings/${bindingId}/initial-sync`);
      return eventually(async () => {
        const r = await hub.call('GET', `/runs/${encodeURIComponent(workflowId as string)}`);
        return r.status === 'running' ? undefined : r;
      }, 60_000, 200);
    };
    const hookLines = (): Json[] => (existsSync(hookLog) ? readFileSync(hookLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json) : []);

    beforeAll(async () => {
      database = await createTestDatabase();
      // The scaffold's own test tracker, imported from the installed plugin.
      const { startAcmeTracker } = (await import(pathToFileURL(join(host, 'node_modules', PLUGIN, 'dist/server.js')).href)) as { startAcmeTracker: () => Promise<Tracker> };
      tracker = await startAcmeTracker();
      tracker.seed(3);
      const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
      // What a user sets: no TEMPORAL_ADDRESS, so `start` runs its own Temporal dev server (the CLI this
      // run resolved; a user's is on PATH or in the cache), the database, the plugin, and its hook's file.
      server = launch('npx trackbridge start', 'npx', ['trackbridge', 'start'], {
        cwd: host,
        env: {
          ...baseEnv(), PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: database.url, LOG_FORMAT: 'json',
          TEMPORAL_DEV_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), TEMPORAL_CLI: inject('temporalCli'),
          TRACKBRIDGE_PLUGINS: `${PLUGIN},${GITLAB},${LINEAR}`, OUTBOX_POLL_MS: '500', ACME_TRACKER_HOOK_LOG: hookLog,
        },
      });
      await timed('npx trackbridge start: up', () => server.waitFor(/trackbridge is up/, 150_000));
      const launcher = realpathSync(join(host, 'node_modules/trackbridge/bin/trackbridge.js'));
      const found = descendants(server.child.pid!).find((p) => p.cmdline[1] && existsSync(p.cmdline[1]) && realpathSync(p.cmdline[1]) === launcher);
      if (!found) throw new Error(`no node process runs ${launcher} under npx: ${JSON.stringify(descendants(server.child.pid!))}`);
      node = found.pid;
      devServer = descendants(node).find((p) => p.cmdline.includes('start-dev'))?.pid;
      // Not a terminal: the first start left its admin token in DATA_DIR (.data in the working folder).
      const token = readFileSync(join(host, '.data/admin-token'), 'utf8').trim();
      adminToken = token;
      apiUrl = `http://127.0.0.1:${port}`;
      hub = hubClient(apiUrl, token);
    }, 240_000);

    afterAll(async () => {
      if (server) {
        await server.stop('SIGINT', node);
        server.killAll();
      }
      await tracker?.close();
      await database?.drop();
    });

    it('runs the installed dist/cli.js on plain node, with its own Temporal dev server, and answers /health', async () => {
      const cmdline = readFileSync(`/proc/${node}/cmdline`, 'utf8').split('\0').filter(Boolean);
      // `#!/usr/bin/env node` on node_modules/.bin/trackbridge, the installed bin/trackbridge.js.
      expect(basename(cmdline[0] ?? '')).toBe('node');
      expect(realpathSync(`/proc/${node}/exe`)).toBe(realpathSync(process.execPath));
      expect(cmdline.slice(2)).toEqual(['start']);
      expect(readFileSync(`/proc/${node}/environ`, 'utf8')).not.toMatch(/(^|\0)NODE_OPTIONS=/);
      // The launcher ran dist/cli.js: the worker found the workflow bundle built beside it, and bundled nothing.
      const installedDist = join(host, 'node_modules/trackbridge/dist');
      expect(server.output()).toContain(JSON.stringify({ workflowBundle: join(installedDist, 'workflow-bundle.js') }).slice(1, -1));
      expect(server.output()).not.toMatch(/bundling the workflows/);
      expect(server.output()).toMatch(/temporal dev server started/);
      expect(devServer, 'the Temporal dev server `start` ran').toBeDefined();

      const health = await fetch(`${apiUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ database: { ok: true }, temporal: { ok: true } });
    });

    it('lists the plugin in GET /plugins, with its connector, action and hook', async () => {
      const { items } = await hub.call('GET', '/plugins');
      const plugin = (items as Json[]).find((p) => p.name === PLUGIN);
      expect(plugin).toMatchObject({ name: PLUGIN, version: '0.1.0', apiVersion: 1, source: PLUGIN, builtin: false, connectors: [SLUG] });
      expect(plugin?.actions).toEqual([expect.objectContaining({ name: 'stats', path: `/plugins/${PLUGIN}/actions/stats` })]);
      expect(plugin?.hooks).toEqual([{ name: 'push-log', on: 'push.succeeded' }]);
    });

    it('lists the GitLab and Linear connector packages in GET /plugins and GET /connectors, and offers their forms in the console', async () => {
      const { items } = await hub.call('GET', '/plugins');
      expect((items as Json[]).find((p) => p.name === GITLAB)).toMatchObject({ name: GITLAB, version: '0.1.0', source: GITLAB, builtin: false, connectors: ['gitlab'] });
      expect((items as Json[]).find((p) => p.name === LINEAR)).toMatchObject({ name: LINEAR, version: '0.1.0', source: LINEAR, builtin: false, connectors: ['linear'] });
      const connectors = (await hub.call('GET', '/connectors')).items as Json[];
      const gitlab = connectors.find((c) => c.slug === 'gitlab');
      expect(gitlab).toMatchObject({ name: 'GitLab Issues', capabilities: expect.objectContaining({ pull: true, write: true, comments: true }) });
      expect(Object.keys(gitlab?.configSchema.properties)).toEqual(expect.arrayContaining(['baseUrl', 'overlapSeconds', 'pageSize']));
      expect(gitlab?.secretsSchema.required).toEqual(['token']);
      const linear = connectors.find((c) => c.slug === 'linear');
      expect(linear).toMatchObject({ name: 'Linear', capabilities: expect.objectContaining({ pull: true, write: true, comments: true }) });
      expect(linear?.secretsSchema.required).toEqual(['apiKey']);
      // The console's connector picker, signed in with the admin token as a browser would be.
      const signIn = await fetch(`${apiUrl}/ui/sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: adminToken }).toString() });
      const cookie = /tb_session=[^;]+/.exec(signIn.headers.get('set-cookie') ?? '')?.[0];
      expect(cookie, 'a console session').toBeDefined();
      const picker = await (await fetch(`${apiUrl}/ui/connections`, { headers: { cookie: cookie! } })).text();
      expect(picker).toContain('GitLab Issues');
      expect(picker).toContain('Linear (linear)');
      const form = await (await fetch(`${apiUrl}/ui/connections?connector=gitlab`, { headers: { cookie: cookie! } })).text();
      expect(form).toMatch(/name="config\.baseUrl"/);
      expect(form).toMatch(/<input[^>]*name="secrets\.token"[^>]*type="password"|<input[^>]*type="password"[^>]*name="secrets\.token"/);
      const linearForm = await (await fetch(`${apiUrl}/ui/connections?connector=linear`, { headers: { cookie: cookie! } })).text();
      expect(linearForm).toMatch(/<input[^>]*name="secrets\.apiKey"[^>]*type="password"/);
    });

    it('syncs a project both ways through the installed GitLab connector package', async () => {
      const { startGitLabDouble } = await import('../packages/connector-gitlab/test/support/gitlab-double');
      const gl = await startGitLabDouble();
      try {
        const path = gl.createProject('acme/installed');
        gl.seed(path, 2);
        const connection = await hub.call('POST', '/connections', { connector: 'gitlab', name: 'gitlab', config: { baseUrl: gl.url, overlapSeconds: 1 }, secrets: { token: gl.token } });
        const project = await hub.call('POST', '/projects', { key: 'GLAB', name: 'GitLab' });
        const binding = await hub.call('POST', '/bindings', { projectId: project.id, connectionId: connection.id, scope: path, pullIntervalSeconds: 3600 });
        expect((await initialSync(binding.id as string)).status).toBe('completed');
        expect(((await hub.call('GET', `/projects/${project.id}/stories`)).items as Json[]).map((s) => s.title).sort()).toEqual(['Seeded issue 1', 'Seeded issue 2']);
        await hub.call('POST', `/projects/${project.id}/stories`, { title: 'Born on the hub', description: 'Hello, GitLab', labels: ['priority::high'] });
        const created = await eventually(async () => gl.issues(path).find((i) => i.title === 'Born on the hub'), 60_000, 200);
        expect(created.labels).toEqual(['priority::high']);
        expect(gl.violations).toEqual([]);
      } finally {
        await gl.close();
      }
    });

    it('syncs a project both ways through the plugin’s connector, and the plugin’s hook fires on the pushes', async () => {
      const connection = await hub.call('POST', '/connections', { connector: SLUG, name: 'acme', config: { baseUrl: tracker.url, overlapSeconds: 1 }, secrets: { token: tracker.token } });
      connectionId = connection.id as string;
      const project = await hub.call('POST', '/projects', { key: 'ACME', name: 'Acme' });
      const binding = await hub.call('POST', '/bindings', { projectId: project.id, connectionId, scope: 'demo', pullIntervalSeconds: 3600 });

      // The initial sync pulls the seeded items. Its run ends after the last story lands; a pull asked
      // for before then is refused (409), so wait for it as its progress page would.
      expect((await initialSync(binding.id as string)).status).toBe('completed');
      const pulled = (await hub.call('GET', `/projects/${project.id}/stories`)).items as Json[];
      expect(pulled).toHaveLength(3);
      expect(pulled.map((s) => s.title).sort()).toEqual(tracker.items('demo').map((i) => i.title).sort());

      // A hub edit reaches the tracker.
      const story = await hub.call('GET', `/stories/${pulled[0]!.id}`);
      const remoteId = Number((story.links as Json[])[0]?.remoteId);
      await hub.call('PATCH', `/stories/${story.id}`, { version: story.version, title: 'Edited on the hub' });
      await eventually(async () => tracker.item(remoteId)?.title === 'Edited on the hub', 60_000, 200);

      // A tracker edit comes back on a pull.
      tracker.edit(remoteId, { title: 'Edited on the tracker', status: 'closed' });
      await hub.call('POST', `/bindings/${binding.id}/pull`);
      const back = await eventually(async () => {
        const s = await hub.call('GET', `/stories/${story.id}`);
        return s.title === 'Edited on the tracker' ? s : undefined;
      }, 60_000, 200);
      expect(back).toMatchObject({ status: 'closed', closed: true });

      // A story born on the hub is created on the tracker.
      const born = await hub.call('POST', `/projects/${project.id}/stories`, { title: 'Born on the hub', description: 'Hello, Acme' });
      const created = await eventually(async () => tracker.items('demo').find((i) => i.title === 'Born on the hub'), 60_000, 200);
      expect(tracker.items('demo')).toHaveLength(4);

      // The push-log hook ran in the worker on each push.
      const lines = await eventually(async () => {
        const l = hookLines();
        return l.some((x) => x.storyId === born.id && x.outcome === 'created') && l.some((x) => x.storyId === story.id && x.outcome === 'updated') ? l : undefined;
      }, 60_000, 200);
      expect(lines.find((x) => x.storyId === born.id)).toMatchObject({ point: 'push.succeeded', bindingId: binding.id, remoteId: String(created.id), firingId: expect.any(String) });
      expect(lines.find((x) => x.storyId === story.id && x.outcome === 'updated')?.fields).toContain('title');
    });

    it('runs the plugin’s action, which opens the connection with ctx.connection(id), as a job until it succeeds', async () => {
      expect(connectionId, 'the connection the sync made').toBeDefined();
      const started = await hub.call('POST', `/plugins/${PLUGIN}/actions/stats`, { connectionId, project: 'demo' });
      const job = await eventually(async () => {
        const j = await hub.call('GET', started.statusUrl as string);
        if (j.status === 'failed' || j.status === 'cancelled') throw new Error(`job ${j.status}: ${j.error}`);
        return j.status === 'succeeded' ? j : undefined;
      }, 60_000, 200);
      expect(job.result).toEqual({ total: 4, counts: { open: 3, closed: 1 } });
      expect((job.entries as Json[]).map((e) => e.message)).toContain('counted');
      expect(JSON.stringify(job)).not.toContain(tracker.token);
    });

    it('stops on SIGINT, and stops its Temporal dev server', async () => {
      expect(await server.stop('SIGINT', node)).toBe(0);
      expect(server.output()).toMatch(/shutting down/);
      for (const pid of [node, devServer!]) await eventually(async () => !alive(pid), 10_000, 100);
    });
  });

  describe('the Docker image’s runtime stage, built into a folder', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    const launched: Launched[] = [];

    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      for (const proc of launched) {
        await proc.stop('SIGTERM');
        proc.killAll();
      }
      await database?.drop();
    });

    it('holds production dependencies only: no tsx, no vitest, no TypeScript', async () => {
      for (const name of ['tsx', 'vitest', 'typescript', 'esbuild']) expect(existsSync(join(image, 'node_modules', name)), `node_modules/${name}`).toBe(false);
      // npm's own view of the tree: nothing named tsx anywhere in it (npm ls exits 1 when it finds none).
      const ls = await execFileAsync('npm', ['ls', 'tsx', '--omit=dev', '--all'], { cwd: image, env: baseEnv() }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      expect(ls.stdout).toMatch(/\(empty\)/);
      expect(ls.stdout).not.toMatch(/tsx@/);
      expect(existsSync(join(image, 'dist/cli.js'))).toBe(true);
      expect(existsSync(join(image, runtimeStage.cmd[1] ?? 'missing'))).toBe(true);
    });

    it('boots the API (the image’s CMD) and a worker (the compose file’s command) on plain node; the HEALTHCHECK passes', async () => {
      const port = await freePort();
      const taskQueue = `install-test-${randomBytes(4).toString('hex')}`;
      // The compose file's environment for both services, pointed at this run's database and Temporal.
      const env = {
        ...baseEnv(), ...runtimeStage.env, HOME: runtimeStage.home,
        DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue,
        TRACKBRIDGE_SECRET_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'info', LOG_FORMAT: 'json', PORT: String(port), HOST: '127.0.0.1',
      };
      const worker = launch('image worker', runtimeStage.workerCommand[0]!, runtimeStage.workerCommand.slice(1), { cwd: image, env, user: runtimeStage.user });
      launched.push(worker);
      const api = launch('image api', runtimeStage.cmd[0]!, runtimeStage.cmd.slice(1), { cwd: image, env, user: runtimeStage.user });
      launched.push(api);
      await Promise.all([worker.waitFor(/worker running/, 120_000), api.waitFor(/API listening/, 120_000)]);

      for (const proc of [api, worker]) {
        const cmdline = readFileSync(`/proc/${proc.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        expect(realpathSync(`/proc/${proc.child.pid}/exe`)).toBe(realpathSync(process.execPath));
        expect(cmdline.slice(1)).toEqual(proc === api ? runtimeStage.cmd.slice(1) : runtimeStage.workerCommand.slice(1));
      }
      expect(worker.output()).toContain(JSON.stringify({ workflowBundle: join(image, 'dist/workflow-bundle.js') }).slice(1, -1));
      expect(worker.output()).not.toMatch(/bundling the workflows/);
      expect(await workflowPollers(taskQueue)).toBeGreaterThan(0);

      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ database: { ok: true }, temporal: { ok: true } });
      // The first start handed its admin token over in DATA_DIR, a folder the image's user can write.
      const tokenFile = JSON.parse(api.output().split('\n').find((l) => l.includes('admin API token was written')) ?? '{}') as { file?: string };
      expect(tokenFile.file, 'the log line naming the token file').toBeDefined();
      const token = readFileSync(tokenFile.file!, 'utf8').trim();
      expect((await hubClient(`http://127.0.0.1:${port}`, token).call('GET', '/plugins')).items).toEqual(expect.arrayContaining([expect.objectContaining({ builtin: true })]));

      const check = launch('image healthcheck', runtimeStage.healthcheck[0]!, runtimeStage.healthcheck.slice(1), { cwd: image, env, user: runtimeStage.user });
      expect(await check.exited, check.output()).toBe(0);

      expect(await api.stop('SIGTERM')).toBe(0);
      expect(await worker.stop('SIGTERM')).toBe(0);
      // With the API gone, the same check fails: it does test the API.
      const down = launch('image healthcheck', runtimeStage.healthcheck[0]!, runtimeStage.healthcheck.slice(1), { cwd: image, env, user: runtimeStage.user });
      expect(await down.exited).toBe(1);
    });
  });
});

/** A package folder's files, relative and sorted, without what installing, building and packing add. */
function sourceFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'dist', 'package-lock.json'].includes(entry.name)) return [];
    const full = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full, base) : [relative(base, full)];
  }).sort();
}

// ---------------------------------------------------------------------------------------------------
// The Dockerfile's runtime stage, carried out in a folder.

interface RuntimeStage {
  /** ENV of the stage (NODE_ENV=production), with paths in the image user's home mapped into the test's folder. */
  env: Record<string, string>;
  /** The image user's home (HOME), mapped. */
  home: string;
  /** USER, as the uid and gid the processes run with here (when this test runs as root), else undefined. */
  user: { uid: number; gid: number } | undefined;
  /** CMD, exec form. */
  cmd: string[];
  /** HEALTHCHECK's CMD, exec form. */
  healthcheck: string[];
  /** docker-compose.yml's `worker` service command. */
  workerCommand: string[];
}

interface Instruction { keyword: string; flags: Record<string, string>; args: string }

/** A Dockerfile's instructions: comments dropped, continued lines joined, leading `--flag=value`s split off. */
function dockerInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) || (!current && !raw.trim())) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    const match = /^\s*(\w+)\s+([\s\S]*)$/.exec(current);
    if (!match) throw new Error(`Dockerfile: cannot read ${current}`);
    let args = match[2]!.trim();
    const flags: Record<string, string> = {};
    for (let flag = /^--([\w-]+)=(\S+)\s+/.exec(args); flag; flag = /^--([\w-]+)=(\S+)\s+/.exec(args)) {
      flags[flag[1]!] = flag[2]!;
      args = args.slice(flag[0].length);
    }
    instructions.push({ keyword: match[1]!.toUpperCase(), flags, args });
    current = '';
  }
  return instructions;
}

/** The node images' `node` user: uid and gid 1000, home /home/node. */
const IMAGE_USERS: Record<string, { uid: number; gid: number; home: string }> = { node: { uid: 1000, gid: 1000, home: '/home/node' } };

/**
 * Carries out the Dockerfile's last stage in `dir`: COPY from the repository (the build context) or, with
 * `--from=<stage>`, from `stages[stage]` (what that stage built); ENV; RUN through sh in `dir`, its
 * `--mount` flags (BuildKit's cache) dropped and npm told to prefer its cache; USER as the uid the
 * processes then run with, when this test can switch (it runs as root). Reads CMD and HEALTHCHECK, and
 * the compose file's worker command.
 */
async function buildRuntimeStage(dir: string, stages: Record<string, string>, work: string): Promise<RuntimeStage> {
  const all = dockerInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const froms = all.map((ins, i) => (ins.keyword === 'FROM' ? i : -1)).filter((i) => i >= 0);
  const stageStart = froms.at(-1)!;
  // The stage each `--from` names must be one whose output the caller built the way the Dockerfile does.
  const buildStage = all.slice(froms.at(-2)! + 1, stageStart);
  const buildWorkdir = buildStage.find((ins) => ins.keyword === 'WORKDIR')?.args ?? '/';
  if (!buildStage.some((ins) => ins.keyword === 'RUN' && /scripts\/build\.ts/.test(ins.args))) {
    throw new Error('the Dockerfile\'s build stage no longer runs scripts/build.ts: update test/install.test.ts, which builds dist/ with it');
  }
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  let user: RuntimeStage['user'];
  let userHome: string | undefined;
  const home = join(work, 'image-home');
  mkdirSync(home, { recursive: true });
  let cmd: string[] = [];
  let healthcheck: string[] = [];
  for (const ins of all.slice(stageStart + 1)) {
    switch (ins.keyword) {
      case 'WORKDIR':
      case 'EXPOSE':
      case 'LABEL':
        break;
      case 'ENV':
        for (const [key, value] of envPairs(ins.args)) env[key] = value;
        break;
      case 'COPY': {
        const parts = ins.args.split(/\s+/);
        const dest = join(dir, parts.pop()!);
        for (const src of parts) {
          let from: string;
          if (ins.flags.from) {
            const output = stages[ins.flags.from];
            const path = relative(buildWorkdir, src);
            if (!output || path !== 'dist') throw new Error(`Dockerfile: COPY --from=${ins.flags.from} ${src}: this test has only the build stage's dist/`);
            from = output;
          } else {
            from = join(repoRoot, src);
          }
          const target = parts.length > 1 || ins.args.trimEnd().endsWith('/') ? join(dest, basename(src)) : dest;
          mkdirSync(dirname(target), { recursive: true });
          cpSync(from, target, { recursive: true });
        }
        break;
      }
      case 'RUN':
        // This runs on the test's machine: a command that would empty its npm cache is the Dockerfile's bug.
        if (/npm cache clean/.test(ins.args)) throw new Error(`Dockerfile: RUN ${ins.args}: use a cache mount (--mount=type=cache,target=/root/.npm), not npm cache clean`);
        await sh('sh', ['-c', ins.args], { cwd: dir, env: { ...baseEnv(), ...env, npm_config_prefer_offline: 'true' } });
        break;
      case 'USER': {
        const name = ins.args.split(':')[0]!;
        const known = IMAGE_USERS[name];
        if (!known) throw new Error(`Dockerfile: USER ${ins.args}: unknown to this test`);
        if (process.getuid?.() === 0) {
          user = { uid: known.uid, gid: known.gid };
          chownSync(home, known.uid, known.gid);
          // The image's files stay root's, as COPY leaves them; the folders above must let the user in.
          for (let up = dir; up !== dirname(up) && up.startsWith(work); up = dirname(up)) chmodSync(up, 0o755);
        }
        userHome = known.home;
        break;
      }
      case 'HEALTHCHECK':
        healthcheck = execForm(ins.args.replace(/^(--[\w-]+=\S+\s+)*CMD\s+/, ''), 'HEALTHCHECK');
        break;
      case 'CMD':
        cmd = execForm(ins.args, 'CMD');
        break;
      default:
        throw new Error(`Dockerfile: ${ins.keyword} in the runtime stage is unknown to this test`);
    }
  }
  // Paths in the user's home (ENV values, e.g. DATA_DIR) land in the mapped home.
  for (const [key, value] of Object.entries(env)) {
    if (userHome && (value === userHome || value.startsWith(`${userHome}/`))) env[key] = join(home, relative(userHome, value));
  }
  const compose = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
  const workerService = /\n {2}worker:\n((?: {4}.*\n|\s*\n)*)/.exec(compose)?.[1] ?? '';
  const workerCommand = execForm(/^ {4}command: (.*)$/m.exec(workerService)?.[1] ?? '', 'the compose worker\'s command');
  return { env, home, user, cmd, healthcheck, workerCommand };
}

function envPairs(args: string): [string, string][] {
  if (!args.includes('=')) {
    const [key, ...value] = args.split(/\s+/);
    return [[key!, value.join(' ')]];
  }
  return args.split(/\s+/).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), pair.slice(at + 1).replace(/^"(.*)"$/, '$1')];
  });
}

function execForm(text: string, what: string): string[] {
  const parsed: unknown = JSON.parse(text.trim() || 'null');
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string') || !parsed.length) throw new Error(`${what} is not in exec form: ${text}`);
  return parsed as string[];
}

// ---------------------------------------------------------------------------------------------------
// Processes.

interface Launched {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` to `pid` (by default the child) and waits for the child's exit; SIGKILL to its group after 30 s. */
  stop(signal: NodeJS.Signals, pid?: number): Promise<number | null>;
  /** SIGKILL to every process of its group still there (the safety net). */
  killAll(): void;
}

/** A child in a process group of its own, so that nothing it starts can outlive the test. */
function launch(label: string, command: string, args: string[], options: { cwd: string; env: Record<string, string>; user?: { uid: number; gid: number } | undefined }): Launched {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options.user });
  const untrack = track(`process ${label}`);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => { untrack(); resolve(code ?? (signal ? 128 : null)); }));
  const group = child.pid;
  const killAll = () => {
    if (group === undefined) return;
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // The group is gone.
    }
  };
  return {
    child, exited, output: () => output, killAll,
    async waitFor(pattern, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${output.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`${label}: no ${pattern} within ${timeoutMs} ms:\n${output.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(signal, pid = child.pid) {
      if (child.exitCode === null && child.signalCode === null && pid !== undefined && alive(pid)) process.kill(pid, signal);
      const timer = setTimeout(killAll, 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Every process below `pid`, with its command line (from /proc). */
function descendants(pid: number): { pid: number; cmdline: string[] }[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone since the listing.
    }
  }
  const found: { pid: number; cmdline: string[] }[] = [];
  const visit = (parent: number) => {
    for (const child of parents.get(parent) ?? []) {
      try {
        found.push({ pid: child, cmdline: readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean) });
      } catch {
        continue;
      }
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** True while `pid` runs (a zombie, exited but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Workflow-task pollers Temporal sees on the queue: a worker polls only once its workflow code has loaded. */
async function workflowPollers(taskQueue: string): Promise<number> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    const client = new Client({ connection });
    for (let attempt = 0; attempt < 50; attempt++) {
      const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue } });
      if (pollers?.length) return pollers.length;
      await new Promise((r) => setTimeout(r, 200));
    }
    return 0;
  } finally {
    await connection.close();
  }
}
