import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { github } from '../connectors/github';
import { loadPlugins } from '../plugins/load';
import { installPlugin, loadedPlugins } from '../plugins/registry';
import { validatePlugin } from '../plugins/validate';
import { pluginRoutes } from '../api/plugins';

const good = { name: 'ok-plugin', version: '1.0.0', apiVersion: 1 };
const reason = (value: unknown) => {
  try {
    validatePlugin(value, 'pkg-x');
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('plugin declarations', () => {
  it('accepts a minimal declaration', () => {
    expect(reason(good)).toBe('accepted');
  });

  it('rejects a bad declaration with one message naming the package and each field at fault', () => {
    expect(reason({ name: 'ok-plugin', apiVersion: 1 })).toBe('plugin pkg-x: version: Invalid input: expected string, received undefined');
    expect(reason({ ...good, version: 'one' })).toMatch(/^plugin pkg-x: version: must be a semver version/);
    expect(reason({ ...good, connectors: [{ ...github, slug: 'Bad Slug' }] })).toMatch(/^plugin pkg-x: connectors\[0\]\.slug: must be 1-25 characters/);
    expect(reason({ ...good, connectors: [{ ...github, reader: 'nope' }] })).toMatch(/connectors\[0\]\.reader: must be a function/);
    expect(reason({ ...good, connectors: [{ ...github, http: { ...github.http, auth: { header: 'bad header' } } }] }))
      .toMatch(/connectors\[0\]\.http\.auth\.header: must be an HTTP header name; connectors\[0\]\.http\.auth\.value: must be a function/);
    expect(reason({ ...good, hooks: [{ name: 'h', on: 'story.exploded', run: async () => undefined }] })).toMatch(/hooks\[0\]\.on: Invalid option/);
    expect(reason({ ...good, actions: [{ name: 'a', description: '', params: 'x', run: async () => undefined }] }))
      .toMatch(/actions\[0\]\.params: must be a zod object schema/);
    expect(reason({ ...good, connectors: [{ ...github, cannot: ['editComments', 'fly'] }] })).toMatch(/connectors\[0\]\.cannot\[1\]: Invalid option/);
    expect(reason({ ...good, connectors: [{ ...github, cannot: ['editComments', 'deleteItems'] }] })).toBe('accepted');
    expect(reason({ ...good, apiVersion: 2 })).toBe('plugin pkg-x: apiVersion: 2 is not supported (this trackbridge speaks plugin API 1)');
    expect(reason(null)).toMatch(/default export must be a plugin declaration/);
  });

  it('refuses a second provider of an installed connector slug', () => {
    expect(() => installPlugin({ ...good, name: 'copycat', connectors: [github] }, 'copycat')).toThrow(
      'plugin copycat: connectors[0].slug: "github" is already provided by trackbridge',
    );
    expect(loadedPlugins().map((p) => p.definition.name)).not.toContain('copycat');
  });
});

describe('loading plugins', () => {
  it('loads a plugin by path next to the core plugin, and GET /plugins lists both with versions', async () => {
    await loadPlugins(['./test/fixtures/plugins/hello.ts']);
    await loadPlugins(['./test/fixtures/plugins/hello.ts']); // a second load of the same source is a no-op
    // The route alone (the full app authenticates against a database; test/api.test.ts covers that path).
    const res = await pluginRoutes({}).request('/');
    const body = (await res.json()) as { items: { name: string; version: string; builtin: boolean; connectors: string[]; actions: { path: string }[]; hooks: { on: string }[] }[] };
    expect(body.items.map((p) => [p.name, p.version, p.builtin])).toEqual([['trackbridge', '0.1.0', true], ['hello-plugin', '2.3.4', false]]);
    expect(body.items[0]!.connectors).toEqual(['github', 'redmine', 'jira']);
    expect(body.items[1]!.actions.map((a) => a.path)).toEqual(['/plugins/hello-plugin/actions/greet']);
    expect(body.items[1]!.hooks.map((h) => h.on)).toEqual(['binding.paused']);
  });

  it('names the package and where it looked when it cannot be found', async () => {
    const load = loadPlugins(['trackbridge-plugin-that-does-not-exist']);
    await expect(load).rejects.toThrow(/^plugin trackbridge-plugin-that-does-not-exist: not found; looked in:\n/);
    await expect(load).rejects.toThrow(`  - ${path.join(process.cwd(), 'node_modules', 'trackbridge-plugin-that-does-not-exist')}\n`);
  });

  it('stops the boot with one line naming the plugin and the field at fault', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/api.ts'], {
      env: { ...process.env, TRACKBRIDGE_PLUGINS: './test/fixtures/plugins/bad-slug.ts', DATABASE_URL: 'postgres://127.0.0.1:1/none', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe('plugin ./test/fixtures/plugins/bad-slug.ts: connectors[0].slug: must be 1-25 characters of [a-z0-9-]');
  });
});
