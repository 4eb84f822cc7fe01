import { describe, expect, it } from 'vitest';
import { runBench } from '../bench/runner';

/**
 * The benchmark harness end to end at smoke size, so it cannot rot. No time taken alone is asserted;
 * the regression gates (ratios measured side by side in the run, and counts) fail it.
 */
describe('benchmark harness (smoke size)', () => {
  it('runs every scenario and every correctness check passes', async () => {
    const report = await runBench({ size: 'smoke' });
    const failed = report.scenarios.filter((s) => s.status === 'failed').map((s) => `${s.id}: ${s.error
      ?? s.checks.filter((c) => !c.ok).map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`).join('; ')}`);
    expect(failed).toEqual([]);
    expect(report.scenarios.filter((s) => s.status === 'ok').map((s) => s.id)).toEqual(expect.arrayContaining(['P1', 'P1R', 'P3', 'P4', 'P2', 'P5', 'P5R', 'P6', 'P9']));
    expect(report.ok).toBe(true);
  }, 300_000);
});
