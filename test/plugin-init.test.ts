import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SDK_RANGE, pluginNames, renderPlugin, scaffoldPlugin } from '../cli/plugin-init';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// Inside the checkout (in the git-ignored .data/), so the generated test finds vitest and zod as a plugin would in its node_modules.
mkdirSync(path.join(repoRoot, '.data'), { recursive: true });
const work = mkdtempSync(path.join(repoRoot, '.data', 'plugin-init-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GENERATED = [
  'README.md', 'package.json', 'src/actions.ts', 'src/connector.ts', 'src/hooks.ts', 'src/index.ts', 'src/server.ts', 'test/conformance.test.ts', 'tsconfig.json',
];

/** Every file under `dir`, relative, except what installing and building add. */
function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'dist'].includes(entry.name)) return [];
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

describe('trackbridge plugin init', () => {
  const dir = path.join(work, 'trackbridge-plugin-acme-tracker');

  it('derives every name a plugin needs from its slug', () => {
    expect(pluginNames('acme-tracker')).toEqual({
      name: 'acme-tracker', packageName: 'trackbridge-plugin-acme-tracker', camelName: 'acmeTracker', Title: 'AcmeTracker', NAME: 'ACME_TRACKER', sdkRange: SDK_RANGE,
    });
    expect(pluginNames('trackbridge-plugin-acme-tracker').name).toBe('acme-tracker');
    for (const bad of ['Acme', 'acme_tracker', 'acme--tracker', '-acme', '1acme', 'a'.repeat(26)]) {
      expect(() => pluginNames(bad), bad).toThrow(/use 1-25 lowercase letters and digits/);
    }
  });

  it('writes a package that depends on @trackbridge/sdk only, builds with tsc and tests with vitest', () => {
    expect(scaffoldPlugin('acme-tracker', dir).sort()).toEqual(GENERATED);
    expect(filesUnder(dir).sort()).toEqual(GENERATED);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(manifest).toMatchObject({
      name: 'trackbridge-plugin-acme-tracker',
      type: 'module',
      main: './dist/index.js',
      exports: { '.': { default: './dist/index.js' } },
      scripts: { build: 'tsc -p tsconfig.json', test: 'vitest run' },
    });
    expect(manifest.dependencies).toEqual({ '@trackbridge/sdk': SDK_RANGE });
    expect(Object.keys(manifest.devDependencies ?? {}).sort()).toEqual(['@trackbridge/testing', '@types/node', 'typescript', 'vitest']);
    const tsconfig = JSON.parse(readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'dist' });
    expect(tsconfig.compilerOptions).not.toHaveProperty('lib');
    const sources = GENERATED.map((file) => readFileSync(path.join(dir, file), 'utf8'));
    expect(sources.join('\n')).not.toMatch(/\{\{|tinytracker/i);
    const index = readFileSync(path.join(dir, 'src/index.ts'), 'utf8');
    expect(index).toContain("from '@trackbridge/sdk'");
    expect(index).toMatch(/connectors: \[acmeTracker\],\s+actions: \[stats\],\s+hooks: \[pushLog\]/);
    expect(readFileSync(path.join(dir, 'src/connector.ts'), 'utf8')).toContain("slug: 'acme-tracker'");
  });

  it('refuses to write into a folder that is not empty', () => {
    writeFileSync(path.join(work, 'occupied.txt'), 'mine');
    expect(() => scaffoldPlugin('acme-tracker', work)).toThrow(/already exists and is not an empty folder/);
    expect(readFileSync(path.join(work, 'occupied.txt'), 'utf8')).toBe('mine');
  });

  it('depends on the SDK version this checkout ships', () => {
    const sdk = JSON.parse(readFileSync(path.join(repoRoot, 'packages/sdk/package.json'), 'utf8')) as { version: string };
    expect(SDK_RANGE).toBe(`^${sdk.version}`);
  });

  it('is what examples/tinytracker holds, file for file (regenerate it with the scaffold when a template changes)', () => {
    const example = path.join(repoRoot, 'examples/tinytracker');
    const rendered = renderPlugin(pluginNames('tinytracker'));
    expect(filesUnder(example).sort()).toEqual([...rendered.keys()].sort());
    for (const [file, content] of rendered) expect(readFileSync(path.join(example, file), 'utf8'), file).toBe(content);
  });

  it('generates a conformance test that passes as written', { timeout: 180_000 }, async () => {
    expect(existsSync(path.join(dir, 'test/conformance.test.ts'))).toBe(true);
    // The packages a plugin installs from npm are this checkout's sources here.
    const config = path.join(work, 'vitest.generated.config.mjs');
    writeFileSync(config, `export default ${JSON.stringify({
      resolve: { alias: { '@trackbridge/sdk': path.join(repoRoot, 'sdk/index.ts'), '@trackbridge/testing': path.join(repoRoot, 'testing/index.ts') } },
      test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
    })};\n`);
    const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
    const { stdout } = await run(process.execPath, [vitest, 'run', '--root', dir, '--config', config, '--reporter', 'json'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { success: boolean; numPassedTests: number; numFailedTests: number; numTotalTests: number };
    expect(report).toMatchObject({ success: true, numFailedTests: 0 });
    expect(report.numPassedTests).toBeGreaterThanOrEqual(5);
  });
});
