import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

let source: string | undefined;

/**
 * axe-core's WCAG 2 A and AA rules on the page as it is now, as "rule: help (targets)" lines; empty
 * when it passes. The script goes in through the DevTools protocol (page.evaluate), which the pages'
 * Content-Security-Policy (`script-src 'self'`) does not block, so the page is audited as served.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  source ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Runs in the page; this project compiles without the DOM's types, hence globalThis and the shape of axe's API spelled out.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.map((v) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

/** Audits the page and fails naming each violation's rule and targets, and the page it was on. */
export async function expectAccessible(page: Page) {
  const found = await axeViolations(page);
  expect(found, `axe found WCAG 2 A/AA violations on ${page.url()}:\n${found.join('\n')}`).toEqual([]);
}
