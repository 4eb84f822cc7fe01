import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'trackbridge-packages.lock');
/** A holder that died (a killed test run) does not block the next run for longer than this. */
const STALE_MS = 10 * 60_000;

/**
 * Holds the workspace packages' `dist/` for one test file at a time: `buildPackages()` deletes and
 * rewrites it, and vitest runs two files at once, so a file packing `packages/*` must not see another
 * one's build half done. Returns the release.
 */
export async function lockPackages(timeoutMs = 300_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the workspace packages stayed locked for ${timeoutMs} ms (${LOCK})`, { cause: err });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}
