import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);

/** The newest CLI release whose go.mod has no `replace` directive, so `go install` can build it. */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';

export class TemporalCliNotFoundError extends Error {
  constructor(tried: string[]) {
    super(
      'No Temporal CLI found and none could be obtained. Tried:\n' +
        tried.map((t) => `  - ${t}`).join('\n') +
        '\nInstall one of: the Temporal CLI (https://docs.temporal.io/cli, e.g. `brew install temporal`), ' +
        `or Go (then we build it with \`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}\`), ` +
        'and set TEMPORAL_CLI to its path if it is not on PATH. Or set TEMPORAL_ADDRESS to use an existing Temporal server.',
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

/** Outside the checkout, so CI runs and fresh clones reuse one build. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRACKBRIDGE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'trackbridge');
}

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name)).find(isExecutable);
}

function findIn(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir).filter((f) => f.startsWith('temporal')).map((f) => join(dir, f)).find(isExecutable);
}

interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Allow the slow routes (SDK download, go install). */
  install?: boolean;
}

/**
 * Finds a Temporal CLI binary: TEMPORAL_CLI, then PATH, then our cache, then the SDK's download,
 * then `go install`. Throws TemporalCliNotFoundError saying what to install.
 */
export async function resolveTemporalCli(opts: ResolveOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const tried: string[] = [];
  if (env.TEMPORAL_CLI) {
    if (isExecutable(env.TEMPORAL_CLI)) return env.TEMPORAL_CLI;
    throw new Error(`TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file`);
  }
  tried.push('TEMPORAL_CLI (unset)');
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;
  tried.push('`temporal` on PATH');
  const binDir = join(cacheDir(env), 'bin');
  const cached = findIn(binDir);
  if (cached) return cached;
  tried.push(`cached build in ${binDir}`);
  const sdkDir = join(cacheDir(env), 'sdk-download');
  const sdkCached = findIn(sdkDir);
  if (sdkCached) return sdkCached;
  if (opts.install === false) {
    tried.push('downloads and go install (disabled)');
    throw new TemporalCliNotFoundError(tried);
  }
  const downloaded = await trySdkDownload(sdkDir, opts.logger);
  if (downloaded) return downloaded;
  tried.push('the Temporal SDK download (needs internet)');
  const built = await tryGoInstall(binDir, env, opts.logger);
  if (built) return built;
  tried.push('`go install` (Go not found or the build failed)');
  throw new TemporalCliNotFoundError(tried);
}

/** The SDK downloads the CLI when it starts an ephemeral server; we start one briefly and keep the file. */
async function trySdkDownload(dir: string, logger?: ResolveOptions['logger']): Promise<string | undefined> {
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    mkdirSync(dir, { recursive: true });
    logger?.info({ dir }, 'downloading the Temporal CLI through the SDK');
    const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir: dir } } });
    await env.teardown();
    return findIn(dir);
  } catch (err) {
    logger?.warn({ err: (err as Error).message }, 'Temporal CLI download through the SDK failed');
    return undefined;
  }
}

async function tryGoInstall(binDir: string, env: NodeJS.ProcessEnv, logger?: ResolveOptions['logger']): Promise<string | undefined> {
  const go = onPath('go', env) ?? ['/usr/local/go/bin/go'].find(isExecutable);
  if (!go) return undefined;
  mkdirSync(binDir, { recursive: true });
  logger?.info({ binDir, version: TEMPORAL_CLI_GO_VERSION }, 'building the Temporal CLI with go install (a few minutes, once)');
  try {
    await run(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`], {
      env: { ...env, GOBIN: binDir },
      maxBuffer: 16 * 1024 * 1024,
    });
    return findIn(binDir);
  } catch (err) {
    logger?.warn({ err: (err as Error).message.slice(0, 2000) }, 'go install of the Temporal CLI failed');
    return undefined;
  }
}
