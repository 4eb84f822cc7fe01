import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * No import cycles in the product code, type-only imports included: a cycle is a pair of modules that
 * cannot be read, tested or moved one without the other. Each module's relative imports and re-exports
 * form a graph; its strongly connected components of more than one module are the cycles.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const PRODUCT = ['lib', 'markup', 'connectors', 'sinks', 'plugins', 'rules', 'db', 'workflows', 'temporal', 'sync', 'activities', 'api', 'console', 'runtime', 'cli', 'sdk', 'testing'];

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

export function importGraph(files: string[], read: (file: string) => string): Map<string, string[]> {
  const known = new Set(files);
  const resolve = (from: string, spec: string) => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec.replace(/\.js$/, '')));
    return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base].find((c) => known.has(c));
  };
  return new Map(files.map((file) => [file, [...read(file).matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s+'(\.[^']+)'/g)]
    .map((m) => resolve(file, m[1]!)).filter((f): f is string => f !== undefined)]));
}

/** Tarjan's strongly connected components, the ones of two modules or more. */
export function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import cycles', () => {
  it('finds a cycle, type-only imports included', () => {
    const files: Record<string, string> = {
      'a/x.ts': "import type { Y } from './y';\nexport type X = Y;",
      'a/y.ts': "import { z } from '../b/z';\nexport type Y = string;",
      'b/z.ts': "export { x } from '../a/x';",
      'b/w.ts': "import { z } from './z';",
    };
    expect(cycles(importGraph(Object.keys(files), (f) => files[f]!))).toEqual([['a/x.ts', 'a/y.ts', 'b/z.ts']]);
  });

  it('has none in the product code', () => {
    const files = PRODUCT.filter((d) => existsSync(path.join(root, d))).flatMap(sources);
    expect(files.length).toBeGreaterThan(200);
    expect(cycles(importGraph(files, (f) => readFileSync(path.join(root, f), 'utf8')))).toEqual([]);
  });
});
