import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginError } from './validate';

/** Where a plugin named in TRACKBRIDGE_PLUGINS was found: the file to import, and the package that holds it. */
export interface ResolvedPlugin {
  entry: string;
  packageDir: string | null;
}

export interface ResolveOptions {
  /** The folder the user runs in: relative paths and `node_modules` lookups start here. */
  cwd: string;
  /** TRACKBRIDGE_PLUGINS_DIR, searched first (relative to `cwd`). */
  pluginsDir?: string | undefined;
  /** Where trackbridge itself is installed: its own `node_modules` are the last resort. */
  selfDir?: string;
}

/** A plugin found nowhere: the message lists every directory tried, in order. */
export class PluginNotFoundError extends PluginError {
  constructor(readonly spec: string, readonly looked: readonly string[]) {
    super(`plugin ${spec}: not found; looked in:\n${looked.map((dir) => `  - ${dir}`).join('\n')}`);
  }
}

/** Conditions a plain `import` on Node matches in `exports`; the first one listed in the map wins. */
const CONDITIONS = new Set(['node', 'import', 'default']);
const selfDir = path.dirname(fileURLToPath(import.meta.url));

export const isPathSpec = (spec: string): boolean => spec.startsWith('.') || path.isAbsolute(spec) || /^[A-Za-z]:[\\/]/.test(spec);

/** "pkg/sub" and "@scope/pkg/sub" → the package name and the subpath as `exports` keys it ("./sub", or "."). */
export function splitSpecifier(spec: string): { name: string; subpath: string } {
  const parts = spec.split('/');
  const size = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(size).join('/');
  return { name: parts.slice(0, size).join('/'), subpath: rest ? `./${rest}` : '.' };
}

/**
 * The folders a package is looked for in, in order: the plugins directory (its `node_modules`, then
 * package folders side by side in it), `node_modules` from the working directory up, then from
 * trackbridge's own install up.
 */
export function candidateDirs(name: string, options: ResolveOptions): string[] {
  const dirs: string[] = [];
  if (options.pluginsDir) {
    const root = path.resolve(options.cwd, options.pluginsDir);
    dirs.push(path.join(root, 'node_modules', name), path.join(root, name));
  }
  for (const start of [options.cwd, options.selfDir ?? selfDir]) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      if (path.basename(dir) !== 'node_modules') dirs.push(path.join(dir, 'node_modules', name));
      if (path.dirname(dir) === dir) break;
    }
  }
  return [...new Set(dirs)];
}

/** Finds the file to import for a TRACKBRIDGE_PLUGINS entry: a path, or a package name (with an optional subpath). */
export function resolvePlugin(spec: string, options: ResolveOptions): ResolvedPlugin {
  if (isPathSpec(spec)) {
    const target = path.resolve(options.cwd, spec);
    if (!existsSync(target)) throw new PluginNotFoundError(spec, [target]);
    if (!statSync(target).isDirectory()) return { entry: target, packageDir: null };
    return { entry: packageEntry(spec, target, '.'), packageDir: target };
  }
  const { name, subpath } = splitSpecifier(spec);
  const looked = candidateDirs(name, options);
  const packageDir = looked.find((dir) => existsSync(path.join(dir, 'package.json')));
  if (!packageDir) throw new PluginNotFoundError(spec, looked);
  return { entry: packageEntry(spec, packageDir, subpath), packageDir };
}

/**
 * The file a package's `subpath` points at, as Node's ESM resolver reads it: `exports` (a string, a
 * map of subpaths, or a map of conditions for "."), else `main`, else `index.js`.
 */
export function packageEntry(spec: string, packageDir: string, subpath: string): string {
  const manifest = readManifest(spec, packageDir);
  let relative: string | null;
  if (manifest.exports !== undefined && manifest.exports !== null) {
    relative = exportTarget(manifest.exports, subpath);
    if (relative === null) throw new PluginError(`plugin ${spec}: ${path.join(packageDir, 'package.json')} exports no "${subpath}" for import`);
  } else if (subpath !== '.') {
    relative = subpath;
  } else {
    relative = typeof manifest.main === 'string' && manifest.main ? manifest.main : './index.js';
  }
  const entry = path.resolve(packageDir, relative);
  // `main` may leave out the extension or name a folder (CommonJS habits); `exports` may not.
  const tries = manifest.exports === undefined || manifest.exports === null ? [entry, `${entry}.js`, path.join(entry, 'index.js')] : [entry];
  const found = tries.find((file) => existsSync(file) && statSync(file).isFile());
  if (!found) {
    throw new PluginError(`plugin ${spec}: found at ${packageDir}, but its entry ${entry} does not exist (is it built? run its build, e.g. npm run build)`);
  }
  return found;
}

function readManifest(spec: string, packageDir: string): { exports?: unknown; main?: unknown } {
  const file = path.join(packageDir, 'package.json');
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch (error) {
    throw new PluginError(`plugin ${spec}: ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The target `exports` gives `subpath` under the import conditions, or null. Supports one `*` per key. */
export function exportTarget(exportsField: unknown, subpath: string): string | null {
  const isSubpathMap = typeof exportsField === 'object' && exportsField !== null && !Array.isArray(exportsField)
    && Object.keys(exportsField).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionalTarget(exportsField, null) : null;
  const map = exportsField as Record<string, unknown>;
  if (Object.hasOwn(map, subpath)) return conditionalTarget(map[subpath], null);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length >= key.length - 1) {
      return conditionalTarget(value, subpath.slice(prefix.length, subpath.length - suffix.length));
    }
  }
  return null;
}

function conditionalTarget(target: unknown, star: string | null): string | null {
  if (typeof target === 'string') return star === null ? target : target.split('*').join(star);
  if (Array.isArray(target)) {
    for (const option of target) {
      const found = conditionalTarget(option, star);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof target === 'object' && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (!CONDITIONS.has(condition)) continue;
      const found = conditionalTarget(value, star);
      if (found !== null) return found;
    }
  }
  return null;
}
