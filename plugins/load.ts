import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installPlugin, loadedPlugins, type LoadedPlugin } from './registry';
import { resolvePlugin, type ResolveOptions } from './resolve';
import { PluginError } from './validate';

/** `TRACKBRIDGE_PLUGINS`: comma-separated npm package names or paths (relative to the working directory). */
export function parsePluginList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export interface LoadOptions {
  /** Where the user runs trackbridge: paths and `node_modules` resolve from here. Default: process.cwd(). */
  cwd?: string;
  /** TRACKBRIDGE_PLUGINS_DIR: a folder of installed plugins searched before `node_modules`. */
  pluginsDir?: string | undefined;
  /**
   * Whether a TypeScript entry may be loaded. Default: only when trackbridge itself runs from its
   * TypeScript sources (the checkout's `npm start`, tests), whose loader handles plugins too.
   */
  typescript?: boolean;
}

/** The loader options the config asks for (TRACKBRIDGE_PLUGINS_DIR, TRACKBRIDGE_PLUGINS_TS). */
export function pluginLoadOptions(config: { TRACKBRIDGE_PLUGINS_DIR?: string | undefined; TRACKBRIDGE_PLUGINS_TS?: boolean }): LoadOptions {
  return { pluginsDir: config.TRACKBRIDGE_PLUGINS_DIR, ...(config.TRACKBRIDGE_PLUGINS_TS ? { typescript: true } : {}) };
}

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;
// Compiled, this file is load.js: a `.ts` name means a TypeScript loader (tsx, vitest) is running us already.
const runningFromSource = TYPESCRIPT.test(new URL(import.meta.url).pathname);
let typescriptLoader: Promise<void> | undefined;

/** Registers tsx's ESM loader once, found from the working directory first, then from trackbridge's install. */
function registerTypeScriptLoader(options: ResolveOptions): Promise<void> {
  typescriptLoader ??= (async () => {
    let api: string;
    try {
      api = resolvePlugin('tsx/esm/api', options).entry;
    } catch {
      throw new PluginError('TRACKBRIDGE_PLUGINS_TS is set, but tsx is not installed: npm install --save-dev tsx (or build the plugin and unset it)');
    }
    const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
    register();
  })();
  return typescriptLoader;
}

async function importPlugin(spec: string, options: Required<Pick<LoadOptions, 'cwd' | 'typescript'>> & LoadOptions): Promise<unknown> {
  const where: ResolveOptions = { cwd: options.cwd, pluginsDir: options.pluginsDir };
  const { entry } = resolvePlugin(spec, where);
  if (TYPESCRIPT.test(entry)) {
    if (!options.typescript) {
      throw new PluginError(
        `plugin ${spec}: its entry ${entry} is TypeScript; plugins ship compiled JavaScript (build it, e.g. npm run build, ` +
          'with main/exports pointing at the output). While developing one, set TRACKBRIDGE_PLUGINS_TS=1 to load it through tsx.',
      );
    }
    if (!runningFromSource) await registerTypeScriptLoader(where);
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new PluginError(`plugin ${spec}: found at ${entry}, but importing it failed: ${reason}`);
  }
  if (mod.default === undefined) throw new PluginError(`plugin ${spec}: ${entry} has no default export (export default definePlugin({...}))`);
  return mod.default;
}

/**
 * Loads the listed plugins into this process (the API and the worker both do, at boot). A plugin
 * already loaded (same source) is skipped, so calling it twice is harmless. Throws a PluginError
 * naming the package and what is wrong (where it looked, the field at fault); the boot prints it and stops.
 */
export async function loadPlugins(specs: readonly string[], options: LoadOptions = {}): Promise<readonly LoadedPlugin[]> {
  const resolved = { ...options, cwd: path.resolve(options.cwd ?? process.cwd()), typescript: options.typescript ?? runningFromSource };
  for (const spec of specs) {
    if (loadedPlugins().some((p) => p.source === spec)) continue;
    installPlugin(await importPlugin(spec, resolved), spec);
  }
  return loadedPlugins();
}
