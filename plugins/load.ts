import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installPlugin, loadedPlugins, type LoadedPlugin } from './registry';
import { PluginError } from './validate';

/** `TRACKBRIDGE_PLUGINS`: comma-separated npm package names or paths (relative to the working directory). */
export function parsePluginList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

async function importPlugin(spec: string, cwd: string): Promise<unknown> {
  const isPath = spec.startsWith('.') || spec.startsWith('/') || /^[A-Za-z]:[\\/]/.test(spec);
  let url: string;
  try {
    // A package resolves from the working directory first (where an operator installs it), then from here.
    url = isPath ? pathToFileURL(path.resolve(cwd, spec)).href : pathToFileURL(createRequire(path.join(cwd, 'package.json')).resolve(spec)).href;
  } catch {
    url = spec;
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new PluginError(`plugin ${spec}: cannot be imported: ${reason}`);
  }
  if (mod.default === undefined) throw new PluginError(`plugin ${spec}: has no default export (export default definePlugin({...}))`);
  return mod.default;
}

/**
 * Loads the listed plugins into this process (the API and the worker both do, at boot). A plugin
 * already loaded (same source) is skipped, so calling it twice is harmless. Throws a PluginError
 * naming the package and the field at fault; the boot prints it and stops.
 */
export async function loadPlugins(specs: readonly string[], cwd = process.cwd()): Promise<readonly LoadedPlugin[]> {
  for (const spec of specs) {
    if (loadedPlugins().some((p) => p.source === spec)) continue;
    installPlugin(await importPlugin(spec, cwd), spec);
  }
  return loadedPlugins();
}
