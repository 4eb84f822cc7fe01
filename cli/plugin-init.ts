import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, printLine } from './output';

/** The `@trackbridge/sdk` (and `@trackbridge/testing`) range a new plugin depends on: the SDK this trackbridge ships with. */
export const SDK_RANGE = '^1.5.0';

/** What a scaffolded file's `{{placeholders}}` become, derived from the plugin's name. */
export interface PluginNames {
  /** The connector slug and the name given: `acme-tracker`. */
  name: string;
  /** The npm package: `trackbridge-plugin-acme-tracker`. */
  packageName: string;
  /** The connector's exported constant: `acmeTracker`. */
  camelName: string;
  /** The tracker's display name and type prefix: `AcmeTracker`. */
  Title: string;
  /** The environment variables' prefix: `ACME_TRACKER`. */
  NAME: string;
  sdkRange: string;
}

const PACKAGE_PREFIX = 'trackbridge-plugin-';
// The connector slug rule (plugins/validate.ts), words joined by single hyphens so the other forms are clean.
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** `acme-tracker` (or `trackbridge-plugin-acme-tracker`) → every form the templates use; a usage error if it cannot be a slug. */
export function pluginNames(given: string): PluginNames {
  const name = given.startsWith(PACKAGE_PREFIX) ? given.slice(PACKAGE_PREFIX.length) : given;
  if (!NAME.test(name) || name.length > 25) {
    throw new CliError(`plugin name "${given}": use 1-25 lowercase letters and digits, words joined by "-" (it is also the connector's slug)`, 'usage');
  }
  const words = name.split('-');
  const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  return {
    name,
    packageName: `${PACKAGE_PREFIX}${name}`,
    camelName: words[0] + words.slice(1).map(capital).join(''),
    Title: words.map(capital).join(''),
    NAME: words.join('_').toUpperCase(),
    sdkRange: SDK_RANGE,
  };
}

/** The plugin template, found from this file up, so it works from the sources (cli/) and compiled (dist/cli/). */
export function templateDir(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'templates', 'plugin');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`the plugin template (templates/plugin) is missing from trackbridge's install, above ${from}`);
  }
}

/** Fills `{{key}}` placeholders; an unknown key is a broken template, not something to write out. */
export function fillTemplate(text: string, names: PluginNames, file: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    if (!Object.hasOwn(names, key)) throw new Error(`template ${file}: unknown placeholder {{${key}}}`);
    return names[key as keyof PluginNames];
  });
}

function templateFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return templateFiles(root, full);
    return entry.name.endsWith('.tmpl') ? [path.relative(root, full)] : [];
  });
}

/** The files a new plugin gets, relative path → content, in a stable order. */
export function renderPlugin(names: PluginNames, templates = templateDir()): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of templateFiles(templates).sort()) {
    files.set(file.slice(0, -'.tmpl'.length).split(path.sep).join('/'), fillTemplate(readFileSync(path.join(templates, file), 'utf8'), names, file));
  }
  return files;
}

/** Writes a new plugin package into `dir`, which must not exist yet or be empty. Returns the files written. */
export function scaffoldPlugin(given: string, dir: string, templates = templateDir()): string[] {
  const names = pluginNames(given);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new CliError(`${dir} already exists and is not an empty folder: choose another with --dir`, 'usage');
  }
  const files = renderPlugin(names, templates);
  for (const [file, content] of files) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content, { flag: 'wx' });
  }
  return [...files.keys()];
}

/** Adds `plugin init <name> [--dir <folder>]` to the CLI. */
export function registerPluginInit(cli: Command, done: (code: number) => void): void {
  const plugin = cli.command('plugin').description('write and develop trackbridge plugins');
  plugin.command('init')
    .description('write a new plugin package: a connector, an action, a hook, a test tracker and a passing conformance test')
    .argument('<name>', 'the connector slug, e.g. acme-tracker (the package becomes trackbridge-plugin-<name>)')
    .option('--dir <folder>', 'where to write it (default ./trackbridge-plugin-<name>)')
    .action(async (given: string, opts: { dir?: string }) => {
      const names = pluginNames(given);
      const dir = path.resolve(opts.dir ?? names.packageName);
      const files = scaffoldPlugin(given, dir);
      await printLine(`Wrote ${names.packageName} to ${dir}:`);
      for (const file of files) await printLine(`  ${file}`);
      const relative = path.relative(process.cwd(), dir);
      await printLine(`\nNext: cd ${relative && !relative.startsWith('..') ? relative : dir} && npm install && npm test && npm run build`);
      await printLine(`Then run trackbridge with TRACKBRIDGE_PLUGINS=${dir}`);
      done(0);
    });
}
