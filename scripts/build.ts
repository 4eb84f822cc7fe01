import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build } from 'esbuild';

/**
 * `npm run build`: the server and CLI as JavaScript for plain node, in dist/:
 * - `cli.js` (what bin/trackbridge.js runs) and the chunks its commands load on demand, all in the
 *   one folder, because modules find their files beside them (db/client.ts its migrations,
 *   runtime/worker.ts the workflow bundle);
 * - `migrations/`, the committed SQL;
 * - `workflow-bundle.js`, so a worker does not bundle the workflows at every start.
 * npm packages stay imports (node_modules), as do the SDK packages, which plugins share with the server.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where runtime/worker.ts looks for the bundle, beside its own chunk. */
const WORKFLOW_BUNDLE = 'workflow-bundle.js';

export interface BuildResult {
  outdir: string;
  files: string[];
  ms: number;
}

export async function buildServer(outdir = join(root, 'dist')): Promise<BuildResult> {
  const started = Date.now();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const [result, workflows] = await Promise.all([
    build({
      absWorkingDir: root,
      entryPoints: { cli: 'cli/main.ts' },
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      external: ['@trackbridge/sdk', '@trackbridge/testing', 'trackbridge/sdk', 'trackbridge/testing'],
      // Chunks and entries side by side: the `new URL('./…', import.meta.url)` lookups rely on it.
      chunkNames: '[name]-[hash]',
      sourcemap: true,
      metafile: true,
      logLevel: 'warning',
    }),
    bundleWorkflowCode({ workflowsPath: join(root, 'workflows/index.ts'), logger: quietLogger }),
  ]);
  writeFileSync(join(outdir, WORKFLOW_BUNDLE), workflows.code);
  cpSync(join(root, 'db/migrations'), join(outdir, 'migrations'), { recursive: true });
  // The output is ESM wherever dist/ is copied to (a Docker stage, a test's folder), whatever package.json is above it.
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
  const files = Object.keys(result.metafile.outputs).map((f) => relative(outdir, resolve(root, f)));
  return { outdir, files: [...files, WORKFLOW_BUNDLE, 'migrations/', 'package.json'], ms: Date.now() - started };
}

/** The Temporal bundler reports webpack's progress at info; a build shows only its problems. */
const quietLogger = {
  trace() {}, debug() {}, info() {},
  warn: (message: string, meta?: object) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: object) => console.error(message, meta ?? ''),
  log() {},
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const built = await buildServer(values.outdir ? resolve(values.outdir) : undefined);
  const scripts = built.files.filter((f) => f.endsWith('.js'));
  process.stdout.write(`built ${relative(process.cwd(), built.outdir) || '.'}/: ${scripts.length} scripts, the workflow bundle and the migrations in ${(built.ms / 1000).toFixed(1)} s\n`);
}
