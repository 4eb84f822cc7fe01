import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlugins } from '../plugins/load';
import { loadedPlugins } from '../plugins/registry';
import { PluginNotFoundError, candidateDirs, exportTarget, resolvePlugin } from '../plugins/resolve';

// realpath: macOS's tmpdir is a symlink, and the resolver reports the paths it built.
const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'tb-resolve-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake package: its package.json and files (path → content) under `dir`. */
function fakePackage(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', version: '1.0.0', ...manifest }));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const pluginSource = (name: string) => `export default { name: ${JSON.stringify(name)}, version: '1.0.0', apiVersion: 1 };\n`;

describe('where a plugin package is looked for', () => {
  const app = path.join(root, 'order', 'app');
  const cwd = path.join(app, 'deploy');
  const pluginsDir = path.join(root, 'order', 'plugins');
  const selfDir = path.join(root, 'order', 'trackbridge', 'dist', 'plugins');
  mkdirSync(cwd, { recursive: true });
  const both = { name: 'tb-plugin-both', main: 'index.js' };
  fakePackage(path.join(app, 'node_modules', 'tb-plugin-both'), both, { 'index.js': '' });
  fakePackage(path.join(pluginsDir, 'node_modules', 'tb-plugin-both'), both, { 'index.js': '' });
  fakePackage(path.join(pluginsDir, 'tb-plugin-loose'), { name: 'tb-plugin-loose' }, { 'index.js': '' });
  fakePackage(path.join(root, 'order', 'trackbridge', 'node_modules', 'tb-plugin-bundled'), { name: 'tb-plugin-bundled' }, { 'index.js': '' });
  fakePackage(path.join(app, 'node_modules', 'tb-plugin-bundled'), { name: 'tb-plugin-bundled' }, { 'index.js': '' });

  it('takes TRACKBRIDGE_PLUGINS_DIR first, then node_modules from the working directory up, then trackbridge\'s own', () => {
    expect(resolvePlugin('tb-plugin-both', { cwd, pluginsDir, selfDir }).packageDir).toBe(path.join(pluginsDir, 'node_modules', 'tb-plugin-both'));
    expect(resolvePlugin('tb-plugin-both', { cwd, selfDir }).packageDir).toBe(path.join(app, 'node_modules', 'tb-plugin-both'));
    // The user's install wins over a copy next to trackbridge.
    expect(resolvePlugin('tb-plugin-bundled', { cwd, selfDir }).packageDir).toBe(path.join(app, 'node_modules', 'tb-plugin-bundled'));
    expect(resolvePlugin('tb-plugin-bundled', { cwd: path.join(root, 'order'), selfDir }).packageDir)
      .toBe(path.join(root, 'order', 'trackbridge', 'node_modules', 'tb-plugin-bundled'));
  });

  it('finds a package folder placed directly in the plugins directory', () => {
    expect(resolvePlugin('tb-plugin-loose', { cwd, pluginsDir: path.relative(cwd, pluginsDir), selfDir }).entry).toBe(path.join(pluginsDir, 'tb-plugin-loose', 'index.js'));
  });

  it('fails naming every directory it looked in, in order', () => {
    const error = (() => {
      try {
        resolvePlugin('tb-plugin-missing', { cwd, pluginsDir, selfDir });
      } catch (e) {
        return e;
      }
      throw new Error('resolved a package that does not exist');
    })();
    expect(error).toBeInstanceOf(PluginNotFoundError);
    const message = (error as Error).message;
    const expected = [
      path.join(pluginsDir, 'node_modules', 'tb-plugin-missing'),
      path.join(pluginsDir, 'tb-plugin-missing'),
      path.join(cwd, 'node_modules', 'tb-plugin-missing'),
      path.join(app, 'node_modules', 'tb-plugin-missing'),
      path.join(root, 'node_modules', 'tb-plugin-missing'),
      path.join(selfDir, 'node_modules', 'tb-plugin-missing'),
      path.join(root, 'order', 'trackbridge', 'node_modules', 'tb-plugin-missing'),
    ];
    expect(message.split('\n')[0]).toBe('plugin tb-plugin-missing: not found; looked in:');
    const listed = message.split('\n').slice(1).map((line) => line.replace(/^ {2}- /, ''));
    expect(listed).toEqual(candidateDirs('tb-plugin-missing', { cwd, pluginsDir, selfDir }));
    // Each of these, in this order (the walks up to / list the folders above them too).
    const positions = expected.map((dir) => listed.indexOf(dir));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('names the missing path when TRACKBRIDGE_PLUGINS gives one', () => {
    expect(() => resolvePlugin('./plugins/nope', { cwd })).toThrow(`plugin ./plugins/nope: not found; looked in:\n  - ${path.join(cwd, 'plugins', 'nope')}`);
  });
});

describe('a package\'s entry, read as Node\'s ESM resolver does', () => {
  const cwd = path.join(root, 'entries');
  const modules = path.join(cwd, 'node_modules');
  const pkg = (name: string, manifest: Record<string, unknown>, files: string[]) =>
    fakePackage(path.join(modules, name), { name, ...manifest }, Object.fromEntries(files.map((f) => [f, ''])));

  it('resolves an ESM-only package whose exports have only an import condition, where require.resolve fails', () => {
    pkg('esm-only', { exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } } }, ['dist/index.js', 'dist/index.d.ts']);
    expect(() => createRequire(path.join(cwd, 'package.json')).resolve('esm-only')).toThrow();
    expect(resolvePlugin('esm-only', { cwd }).entry).toBe(path.join(modules, 'esm-only', 'dist', 'index.js'));
  });

  it('reads exports as a string, as conditions without ".", nested and in arrays, taking the first matching condition', () => {
    pkg('exports-string', { exports: './lib/main.js' }, ['lib/main.js']);
    pkg('exports-sugar', { exports: { require: './cjs.cjs', import: './esm.js' } }, ['cjs.cjs', 'esm.js']);
    pkg('exports-nested', { exports: { '.': { import: { types: './x.d.ts', default: './nested.js' }, default: './fallback.js' } } }, ['nested.js', 'fallback.js']);
    pkg('exports-array', { exports: { '.': [{ browser: './web.js' }, './any.js'] } }, ['web.js', 'any.js']);
    pkg('exports-order', { exports: { '.': { default: './first.js', import: './second.js' } } }, ['first.js', 'second.js']);
    const entry = (name: string) => path.relative(path.join(modules, name), resolvePlugin(name, { cwd }).entry);
    expect(['exports-string', 'exports-sugar', 'exports-nested', 'exports-array', 'exports-order'].map(entry))
      .toEqual(['lib/main.js', 'esm.js', 'nested.js', 'any.js', 'first.js'].map((f) => path.normalize(f)));
  });

  it('falls back to main (with or without its extension), then index.js', () => {
    pkg('main-only', { main: 'lib/entry.js' }, ['lib/entry.js']);
    pkg('main-bare', { main: './lib/entry' }, ['lib/entry.js']);
    pkg('no-main', {}, ['index.js']);
    expect(resolvePlugin('main-only', { cwd }).entry).toBe(path.join(modules, 'main-only', 'lib', 'entry.js'));
    expect(resolvePlugin('main-bare', { cwd }).entry).toBe(path.join(modules, 'main-bare', 'lib', 'entry.js'));
    expect(resolvePlugin('no-main', { cwd }).entry).toBe(path.join(modules, 'no-main', 'index.js'));
  });

  it('resolves subpaths and scoped names through exports, patterns included', () => {
    fakePackage(path.join(modules, '@acme', 'tb-plugin'), { name: '@acme/tb-plugin', exports: { '.': './dist/index.js', './extra/*': './dist/extra/*.js' } }, { 'dist/index.js': '', 'dist/extra/one.js': '' });
    expect(resolvePlugin('@acme/tb-plugin', { cwd }).entry).toBe(path.join(modules, '@acme', 'tb-plugin', 'dist', 'index.js'));
    expect(resolvePlugin('@acme/tb-plugin/extra/one', { cwd }).entry).toBe(path.join(modules, '@acme', 'tb-plugin', 'dist', 'extra', 'one.js'));
    expect(exportTarget({ '.': './a.js' }, './b')).toBeNull();
  });

  it('says a package is not built when its entry is missing, and when exports leave out what was asked', () => {
    pkg('unbuilt', { exports: { '.': { import: './dist/index.js' } } }, ['src/index.ts']);
    expect(() => resolvePlugin('unbuilt', { cwd })).toThrow(`plugin unbuilt: found at ${path.join(modules, 'unbuilt')}, but its entry ${path.join(modules, 'unbuilt', 'dist', 'index.js')} does not exist (is it built?`);
    pkg('require-only', { exports: { '.': { require: './index.cjs' } } }, ['index.cjs']);
    expect(() => resolvePlugin('require-only', { cwd })).toThrow(/exports no "\." for import/);
  });

  it('reads a folder given as a path as a package', () => {
    fakePackage(path.join(cwd, 'local-plugin'), { name: 'local-plugin', exports: { '.': { import: './dist/index.js' } } }, { 'dist/index.js': '' });
    expect(resolvePlugin('./local-plugin', { cwd })).toEqual({ entry: path.join(cwd, 'local-plugin', 'dist', 'index.js'), packageDir: path.join(cwd, 'local-plugin') });
  });
});

describe('loading what was found', () => {
  const cwd = path.join(root, 'load');
  const modules = path.join(cwd, 'node_modules');

  it('imports an ESM-only plugin from the working directory\'s node_modules', async () => {
    fakePackage(path.join(modules, 'tb-plugin-esm'), { name: 'tb-plugin-esm', exports: { '.': { import: './dist/index.js' } } }, { 'dist/index.js': pluginSource('tb-plugin-esm') });
    await loadPlugins(['tb-plugin-esm'], { cwd });
    expect(loadedPlugins().find((p) => p.source === 'tb-plugin-esm')?.definition.name).toBe('tb-plugin-esm');
  });

  it('names the resolved file when a found plugin fails to import', async () => {
    const entry = path.join(modules, 'tb-plugin-broken', 'index.js');
    fakePackage(path.join(modules, 'tb-plugin-broken'), { name: 'tb-plugin-broken' }, { 'index.js': 'throw new Error("boom at load");\n' });
    await expect(loadPlugins(['tb-plugin-broken'], { cwd })).rejects.toThrow(`plugin tb-plugin-broken: found at ${entry}, but importing it failed: boom at load`);
  });

  it('refuses a TypeScript entry unless a development loader was asked for', async () => {
    fakePackage(path.join(cwd, 'ts-plugin'), { name: 'ts-plugin', main: './src/index.ts' }, { 'src/index.ts': pluginSource('ts-plugin') });
    const refused = loadPlugins(['./ts-plugin'], { cwd, typescript: false });
    await expect(refused).rejects.toThrow(`plugin ./ts-plugin: its entry ${path.join(cwd, 'ts-plugin', 'src', 'index.ts')} is TypeScript; plugins ship compiled JavaScript`);
    await expect(refused).rejects.toThrow(/set TRACKBRIDGE_PLUGINS_TS=1/);
    expect(loadedPlugins().map((p) => p.source)).not.toContain('./ts-plugin');
    await loadPlugins(['./ts-plugin'], { cwd, typescript: true });
    expect(loadedPlugins().find((p) => p.source === './ts-plugin')?.definition.name).toBe('ts-plugin');
  });
});
