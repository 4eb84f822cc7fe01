import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTemporalCli, TemporalCliNotFoundError } from '../runtime/temporal-cli';

function fakeBinary(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Temporal CLI resolution', () => {
  const root = mkdtempSync(join(tmpdir(), 'tb-cli-'));
  const onPath = fakeBinary(join(root, 'path'));
  const cached = fakeBinary(join(root, 'cache', 'bin'));
  const explicit = fakeBinary(join(root, 'explicit'), 'my-temporal');

  it('prefers TEMPORAL_CLI, then PATH, then the cache', async () => {
    const env = { TEMPORAL_CLI: explicit, PATH: join(root, 'path'), TRACKBRIDGE_CACHE_DIR: join(root, 'cache') };
    expect(await resolveTemporalCli({ env, install: false })).toBe(explicit);
    expect(await resolveTemporalCli({ env: { ...env, TEMPORAL_CLI: undefined }, install: false })).toBe(onPath);
    expect(await resolveTemporalCli({ env: { PATH: '', TRACKBRIDGE_CACHE_DIR: join(root, 'cache') }, install: false })).toBe(cached);
  });

  it('rejects a TEMPORAL_CLI that is not executable', async () => {
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI: join(root, 'nope') }, install: false })).rejects.toThrow(/not an executable/);
  });

  it('says what to install when nothing is found', async () => {
    const err = await resolveTemporalCli({ env: { PATH: '', TRACKBRIDGE_CACHE_DIR: join(root, 'empty') }, install: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalCliNotFoundError);
    expect((err as Error).message).toMatch(/Install one of/);
    expect((err as Error).message).toMatch(/go install github.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
  });
});
