import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { withConsole } from '../console';
import { createApiToken } from '../db/tokens';
import { loadPlugins } from '../plugins/load';
import { installedConnectors } from '../plugins/registry';
import { expectAccessible } from './support/axe';
import { eventually, testLogger, testSecretBox } from './support/harness';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The Plugins page in a real browser: what each loaded plugin provides, an action run from the form
 * made from its params schema until its job succeeds, and a hook's run after the change it reports.
 */
describe('console: the Plugins page in a browser', { timeout: 300_000 }, () => {
  let stack: Stack;
  let server: ServerType;
  let browser: Browser;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    // Before the app and the worker: routes and activities come from the plugins loaded when they are made.
    await loadPlugins(['./test/fixtures/plugins/hello.ts', './test/fixtures/plugins/hook-log.ts']);
    stack = await startStack();
    const app = createApp({
      db: stack.database.db, temporal: stack.client, taskQueue: stack.worker.taskQueue, connectors: installedConnectors(), secretBox: testSecretBox,
      logger: testLogger, checks: { database: () => stack.database.ping(), temporal: async () => {} },
      limits: { ratePerMinute: 0, temporalCallMs: 30_000 }, session: { secureCookie: false },
    });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: withConsole(app).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    page.setDefaultTimeout(60_000);
    await page.goto(`${base}/ui/sign-in`);
    await page.getByLabel('API token').fill((await createApiToken(stack.database.db, 'plugins')).token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await stack?.stop();
  });

  /** Kept by CI as artifacts, beside the other console test's. */
  const shot = async (name: string) => {
    mkdirSync('.ci/results/screenshots', { recursive: true });
    await page.screenshot({ path: `.ci/results/screenshots/${name}.png`, fullPage: true });
  };
  const section = (name: string) => page.locator('section', { has: page.getByRole('heading', { level: 2, name }) });

  it('lists each plugin with its version, connectors, actions, hooks and sinks', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Plugins' }).click();
    await page.getByRole('heading', { level: 1, name: 'Plugins' }).waitFor();
    expect(await page.getByRole('link', { name: 'Plugins' }).getAttribute('aria-current')).toBe('page');

    const hello = section('hello-plugin');
    expect(await hello.getByRole('heading', { level: 2 }).textContent()).toBe('hello-plugin 2.3.4');
    expect(await hello.getByRole('heading', { level: 4 }).allTextContents()).toEqual(['greet']);
    expect(await hello.locator('tr.hook').allTextContents()).toEqual([expect.stringContaining('note-pause')]);
    expect(await hello.locator('tr.hook').textContent()).toContain('binding.paused');
    const core = page.locator('section').filter({ hasText: 'built in' });
    expect(await core.count()).toBe(1);
    const connectors = await core.locator('dt', { hasText: 'Connectors' }).locator('xpath=following-sibling::dd[1]').textContent();
    expect(connectors?.split(', ')).toEqual(expect.arrayContaining(['github', 'redmine', 'jira']));
    await shot('plugins');
    await expectAccessible(page);
  });

  it('runs an action from the form made from its params schema and follows its job to the result', async () => {
    await page.goto(`${base}/ui/plugins`);
    const hello = section('hello-plugin');
    // `who` has no title in the schema: the label is the field name as words, and it is required.
    const who = hello.getByRole('textbox', { name: 'Who' });
    expect(await who.getAttribute('required')).not.toBeNull();
    await who.fill('Ada');
    await hello.getByRole('button', { name: 'Run greet' }).click();
    await page.getByText('greet started.').waitFor();
    await page.locator('#job-status[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const result = Object.fromEntries(await page.locator('#job-result dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])));
    expect(result).toEqual({ Greeted: 'Ada' });
    expect(await page.locator('#job-status ol.entries').textContent()).toContain('hello Ada');
    await shot('plugin-job');
    await expectAccessible(page);

    // The job is listed under its plugin, with the status the API gives it.
    const jobId = /\/ui\/plugins\/jobs\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const job = (await (await stack.api.call('GET', `/jobs/${jobId}`)).json()) as Json;
    expect(job).toMatchObject({ plugin: 'hello-plugin', action: 'greet', status: 'succeeded', result: { greeted: 'Ada' } });
    await page.getByRole('link', { name: 'Back to the plugins' }).click();
    const row = section('hello-plugin').getByRole('row', { name: new RegExp(jobId.slice(0, 8)) });
    expect(await row.getByRole('cell').allTextContents()).toEqual([jobId.slice(0, 8), 'greet', 'succeeded', expect.any(String)]);
  });

  it("shows a hook's recent runs once the change it reports has fired it", async () => {
    const project = await stack.post('/projects', { key: `PL${Math.random().toString(36).slice(2, 6).toUpperCase()}`, name: 'Plugins' });
    await stack.post(`/projects/${project.id}/stories`, { title: 'Fires story.created' });
    await eventually(async () => {
      const runs = (await stack.get('/hooks/runs?plugin=hook-log-plugin&hook=log-story-created')).items as Json[];
      return runs.some((r) => r.status === 'succeeded') || undefined;
    }, 60_000);
    await page.goto(`${base}/ui/plugins`);
    const hook = section('hook-log-plugin').locator('tr.hook[data-hook="log-story-created"]');
    expect(await hook.locator('ul.runs li').first().textContent()).toMatch(/: succeeded$/);
    expect(await section('hook-log-plugin').locator('tr.hook[data-hook="log-story-updated"]').textContent()).toContain('No runs yet.');
    await expectAccessible(page);
  });
});
