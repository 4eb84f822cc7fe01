import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The manual (README.md and docs/) names links, files, metrics and CLI flags: each must exist, or a user
 * following it meets a dead end. Build output (dist/) and run-time folders are not in a checkout, so
 * paths under them are not checked.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

function walk(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    return entry.isDirectory() ? walk(rel) : entry.name.endsWith('.md') ? [rel] : [];
  });
}
const pages = ['README.md', ...walk('docs')];

/** The text outside fenced code blocks (shell sessions and JSON examples name things of other systems). */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');
/** Prose without inline code either: a link shown as code (`[name](link)`) is an example, not a link. */
const linkable = (text: string) => prose(text).replace(/`[^`\n]*`/g, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[`*_~]/g, '').replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');
const anchorsOf = (file: string) => new Set(prose(read(file)).split('\n').flatMap((line) => {
  const m = /^#{1,6} (.+)$/.exec(line);
  return m ? [anchor(m[1]!)] : [];
}));

/** Top-level entries of the checkout: a backticked path under one of these is a claim about this repository. */
const tops = new Set(readdirSync(root).filter((name) => !name.startsWith('.') && name !== 'node_modules'));
const generated = /^(dist|packages\/[^/]+\/dist|\.ci|\.data|node_modules)\/|^bench\/results\.json$/;
/** Files of a plugin package the plugin pages tell an author to write, not files of this repository. */
const pluginFiles = new Set(['test/conformance.test.ts']);

/** Whether a path, possibly with `*` in it, names something in the checkout. */
function exists(rel: string): boolean {
  if (!rel.includes('*')) return existsSync(path.join(root, rel));
  const parts = rel.split('/');
  const match = (dir: string, i: number): boolean => {
    if (i === parts.length) return true;
    const full = path.join(root, dir);
    if (!existsSync(full) || !statSync(full).isDirectory()) return false;
    // `**`: any depth, none included.
    if (parts[i] === '**') return match(dir, i + 1) || readdirSync(full).some((name) => match(path.posix.join(dir, name), i));
    const pattern = new RegExp(`^${parts[i]!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return readdirSync(full).some((name) => pattern.test(name) && match(path.posix.join(dir, name), i + 1));
  };
  return match('', 0);
}

describe('the manual: README.md and docs/', () => {
  it('has a page per topic, and a README of about 300 lines that links them all', () => {
    for (const page of ['architecture', 'configuration', 'operations', 'security', 'connectors', 'connectors/github', 'connectors/redmine', 'connectors/jira',
      'rules', 'events', 'webhooks', 'plugins', 'cli', 'console', 'performance', 'markup']) {
      expect(pages, page).toContain(`docs/${page}.md`);
      expect(read('README.md'), `README links docs/${page}.md`).toContain(`](docs/${page}.md)`);
    }
    expect(read('README.md').split('\n').length).toBeLessThan(330);
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of linkable(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?|mailto):/.test(target!)) continue;
        const [file, hash] = target!.split('#') as [string, string | undefined];
        const resolved = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
        if (!existsSync(path.join(root, resolved))) broken.push(`${page}: ${target} (no ${resolved})`);
        else if (hash && resolved.endsWith('.md') && !anchorsOf(resolved).has(hash)) broken.push(`${page}: ${target} (no heading #${hash} in ${resolved})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only code paths that exist', () => {
    const missing: string[] = [];
    for (const page of pages) {
      for (const [, code] of prose(read(page)).matchAll(/`([^`\s]+)`/g)) {
        const candidate = code!.replace(/[:,)]+$/, '').replace(/^\.\//, '');
        if (!/^[\w.*-]+(\/[\w.*-]+)+\/?$/.test(candidate) || !tops.has(candidate.split('/')[0]!) || generated.test(candidate) || pluginFiles.has(candidate)) continue;
        if (!/\.\w+$/.test(candidate) && !candidate.endsWith('/')) continue; // a route or a scope, not a file
        if (!exists(candidate.replace(/\/$/, ''))) missing.push(`${page}: ${candidate}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names only metrics trackbridge exports', () => {
    const source = read('lib/metrics.ts');
    const declared = new Set([...source.matchAll(/(?:name: |sinkGauge\()'(trackbridge_[a-z_]+)'/g)].map((m) => m[1]!));
    // prom-client's default metrics, under the prefix the registry gives them.
    const prefixes = [...source.matchAll(/prefix: '(trackbridge_[a-z_]+)'/g)].map((m) => m[1]!);
    expect(declared.size).toBeGreaterThan(5);
    const unknown: string[] = [];
    for (const page of pages) {
      for (const [name] of read(page).matchAll(/\btrackbridge_[a-z_]+\b/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        if (!declared.has(name) && !declared.has(base) && !prefixes.some((p) => name.startsWith(p))) unknown.push(`${page}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('names only CLI flags the CLI has', () => {
    const sources = readdirSync(path.join(root, 'cli')).filter((f) => f.endsWith('.ts')).map((f) => read(`cli/${f}`)).join('\n');
    // Commander's own, and flags of other programs the CLI page shows next to trackbridge's.
    const foreign = new Set(['--help', '--version', '--silent']);
    const unknown: string[] = [];
    for (const page of ['docs/cli.md', 'README.md']) {
      for (const line of read(page).split('\n').filter((l) => /trackbridge |npm run -s cli|npm run cli/.test(l))) {
        for (const [flag] of line.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)) {
          if (!foreign.has(flag) && !new RegExp(`['"\` ]${flag}\\b`).test(sources)) unknown.push(`${page}: ${flag}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });
});
