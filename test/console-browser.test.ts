import { copyFileSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { withConsole } from '../console';
import { createApiToken } from '../db/tokens';
import { installedConnectors } from '../plugins/registry';
import { createIssue, createProject, editIssue, ensureRedmine, getIssue, runRails, type Redmine } from './support/redmine';
import { expectAccessible } from './support/axe';
import { eventually, testLogger, testSecretBox } from './support/harness';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SHOTS = '.ci/results/screenshots';
/** With UPDATE_SCREENSHOTS=1 the README's two pictures (docs/) are written again from this run. */
const UPDATE_DOCS = process.env.UPDATE_SCREENSHOTS === '1';

/**
 * The README walkthrough in a real browser (Debian's chromium through playwright-core) against the
 * real Redmine: sign in, a connection, the binding wizard with a status mapped from the drop-down,
 * the initial sync to 100%, an inbox import, a dead letter retried after its cause is fixed, and a
 * story's explain timeline after a conflicting edit.
 */
describe('console in a browser (real Redmine)', { timeout: 600_000 }, () => {
  let stack: Stack;
  let redmine: Redmine;
  let server: ServerType;
  let browser: Browser;
  let page: Page;
  let base: string;
  let token: string;

  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await stack.api.call(method, path, body);
    const json = (await res.json()) as Json;
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const shot = async (name: string, docs?: string) => {
    mkdirSync(SHOTS, { recursive: true });
    const file = `${SHOTS}/${name}.png`;
    await page.screenshot({ path: file, fullPage: true });
    if (docs && UPDATE_DOCS) copyFileSync(file, docs);
  };
  /** A definition list on the page as {term: description}: the console's summaries. */
  const facts = async (selector: string): Promise<Record<string, string>> =>
    Object.fromEntries(await page.locator(`${selector} dt`).evaluateAll((dts) => dts.map((dt) => [dt.textContent ?? '', dt.nextElementSibling?.textContent ?? ''])));
  /** Reloads the page until `check` passes: the dashboard is server-rendered. */
  const reloadUntil = async (check: () => Promise<boolean>, timeoutMs = 90_000) =>
    eventually(async () => {
      await page.reload();
      return check();
    }, timeoutMs, 500);

  beforeAll(async () => {
    redmine = await ensureRedmine();
    stack = await startStack();
    // The console over the test stack's API, on a real port; plain http, so the cookie is not Secure (as in development).
    const app = createApp({
      db: stack.database.db, temporal: stack.client, taskQueue: stack.worker.taskQueue, connectors: installedConnectors(), secretBox: testSecretBox,
      logger: testLogger, checks: { database: () => stack.database.ping(), temporal: async () => {} },
      limits: { ratePerMinute: 0, temporalCallMs: 30_000 }, session: { secureCookie: false },
    });
    const root = withConsole(app, { temporalUiUrl: 'http://localhost:8233' });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: root.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = (await createApiToken(stack.database.db, 'browser')).token;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    page.setDefaultTimeout(60_000);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await stack?.stop();
  });

  it('binds a Redmine project entirely in the console and repairs its sync', async () => {
    const rmProject = await createProject(redmine);
    const seeded = await createIssue(redmine, rmProject.identifier, { subject: 'Customer reports a broken login' });
    await createIssue(redmine, rmProject.identifier, { subject: 'Customer asks for an export' });

    // Sign in: a wrong token first, then the right one.
    await page.goto(`${base}/ui`);
    await expect.poll(() => page.url()).toBe(`${base}/ui/sign-in`);
    await expectAccessible(page);
    await page.getByLabel('API token').fill('tb_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token is not valid').waitFor();
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as').waitFor();
    await expectAccessible(page);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'tb_session', httpOnly: true, sameSite: 'Strict' });

    // A hub project.
    const key = `W${Math.random().toString(36).slice(2, 7).toUpperCase()}`;
    await page.getByLabel('Key', { exact: true }).fill(key);
    await page.getByLabel('Name', { exact: true }).fill('Website');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText(`Project ${key} created.`).waitFor();
    // A story the hub already has, to preview in the wizard (the binding pushes it once it starts).
    const project = ((await api('GET', '/projects')).items as Json[]).find((p) => p.key === key)!;
    await api('POST', `/projects/${project.id}/stories`, { title: 'Homepage copy', status: 'doing' });

    // A connection, from the connector's JSON Schema, then its test.
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByLabel('Connector').selectOption('redmine');
    await page.getByRole('button', { name: 'Choose' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Customer Redmine');
    // Fields are labelled by the schema's titles, explained by its descriptions, and required as screen readers announce it.
    const baseUrl = page.getByRole('textbox', { name: 'Redmine URL' });
    expect(await baseUrl.getAttribute('required')).not.toBeNull();
    expect(await page.getByRole('spinbutton', { name: 'Pull overlap (seconds)' }).getAttribute('required')).toBeNull();
    expect(await page.locator(`label[for="${await baseUrl.getAttribute('id')}"]`).textContent()).toBe('Redmine URL *');
    expect(await page.locator(`#${await baseUrl.getAttribute('aria-describedby')}`).textContent()).toContain('Root URL of the Redmine instance');
    expect(await page.locator('form').filter({ hasText: 'Configuration' }).textContent()).not.toMatch(/\(required\)|baseUrl|overlapSeconds/);
    await expectAccessible(page);
    await baseUrl.fill(redmine.url);
    await page.getByLabel('API key').fill(redmine.apiKey);
    await page.getByRole('button', { name: /^Create .* connection$/ }).click();
    await page.getByText('Connection "Customer Redmine" created.').waitFor();
    await page.getByRole('button', { name: 'Test the connection' }).click();
    await page.locator('#run-status[data-status="completed"]').waitFor({ timeout: 120_000 });
    expect((await facts('#run-summary')).Result).toMatch(/^ok/);
    await expectAccessible(page);
    // Rotating credentials: a wrong key is tested and refused, the right one saved.
    await page.getByLabel('API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Save new credentials' }).click();
    await page.getByText('Credentials not changed').waitFor({ timeout: 120_000 });
    await page.getByLabel('API key').fill(redmine.apiKey);
    await page.getByRole('button', { name: 'Save new credentials' }).click();
    await page.getByText('New credentials tested and saved.').waitFor({ timeout: 120_000 });
    const connectionUrl = page.url().split('?')[0]!;

    // The wizard: 1 project and connection, 2 a scope from the live list.
    await page.getByRole('link', { name: 'Bind a project through it…' }).click();
    await page.getByLabel('Hub project').selectOption({ label: `${key}: Website` });
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Next: pick a scope' }).click();
    await expectAccessible(page);
    await page.getByLabel('Remote scope').selectOption(rmProject.identifier);
    await page.getByLabel('New remote items').selectOption('review');
    await page.getByLabel('Pull every (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Next: create the binding and set its rules' }).click();
    // 3 rules: "doing" in the hub is Redmine's "In Progress", picked from the remote's statuses.
    await page.getByText('it stays paused until you start it').waitFor();
    const remoteStatus = page.locator('select#map-status-0-remote');
    await remoteStatus.waitFor();
    expect(await remoteStatus.locator('option').allTextContents()).toEqual(expect.arrayContaining(['In Progress (open)', 'Closed (closed)']));
    await page.getByLabel('status map row 1: hub value').fill('doing');
    await remoteStatus.selectOption('In Progress');
    await shot('wizard-rules', 'docs/console-wizard.png');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('Rules saved.').waitFor();
    const bindingId = /\/ui\/bindings\/([0-9a-f-]{36})\/setup/.exec(page.url())![1]!;
    const rules = await api('GET', `/bindings/${bindingId}/rules`);
    expect(rules.rules.fields.find((f: Json) => f.hub === 'status').map).toEqual([{ hub: 'doing', remote: 'In Progress' }]);
    // 4 preview on the hub's story: not on Redmine yet, so the item a push would create, "doing" mapped to "In Progress".
    await page.getByLabel('Story', { exact: true }).selectOption({ label: 'Homepage copy' });
    await page.getByRole('button', { name: 'Preview' }).click();
    const created = page.locator('#preview-create');
    await created.waitFor();
    expect(await created.locator('tr', { hasText: 'status' }).locator('td').allTextContents()).toEqual(['status', 'In Progress']);
    await shot('wizard-preview');
    await expectAccessible(page);
    // 5 start and follow the initial sync to 100%.
    await page.getByRole('link', { name: 'Next: start the sync' }).first().click();
    await page.getByRole('button', { name: 'Start the initial sync' }).click();
    await page.locator('#run-status[data-status="completed"]').waitFor({ timeout: 180_000 });
    expect(await page.locator('#run-progress').getAttribute('value')).toBe('100');
    await expect.poll(() => page.locator('#run-status label').textContent()).toBe('Progress: 100%');
    // The outcome as a summary, not the workflow's JSON: two Redmine issues to the inbox, the hub's story pushed.
    const summary = await facts('#run-summary');
    expect(Object.keys(summary)).toEqual(expect.arrayContaining(['Duration', 'Created', 'Updated', 'Unchanged', 'Failed', 'Inboxed']));
    expect(summary).toMatchObject({ Failed: '0', Inboxed: '2' });
    expect(summary.Duration).toMatch(/^\d+(\.\d)? (ms|s)$|^\d+ min \d\d s$/);
    expect(await page.locator('#run-status pre').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Open this run in the Temporal UI' }).getAttribute('href')).toMatch(/^http:\/\/localhost:8233\/namespaces\/[^/]+\/workflows\/initial-sync%2F/);
    await shot('wizard-synced');
    await expectAccessible(page);

    // The dashboard: both remote issues wait in the inbox; import one.
    await page.getByRole('link', { name: "Open the binding's dashboard" }).click();
    await page.getByRole('heading', { name: 'Inbox (2)' }).waitFor();
    // Recent runs: the initial sync with its counts.
    const firstRun = page.locator('#runs tbody tr').first();
    expect(await firstRun.locator('td').allTextContents()).toEqual(expect.arrayContaining(['initial-sync', 'completed']));
    await shot('dashboard', 'docs/console-dashboard.png');
    await expectAccessible(page);
    await page.getByRole('button', { name: `Import #${seeded.id}` }).click();
    await page.getByText('Imported as a story.').waitFor();
    await page.getByRole('heading', { name: 'Customer reports a broken login' }).waitFor();
    const storyId = /\/ui\/stories\/([0-9a-f-]{36})/.exec(page.url())![1]!;

    // A dead letter: the hub asks for a priority Redmine does not have; fix Redmine, retry in the console.
    const priority = `Blocker-${Math.random().toString(36).slice(2, 7)}`;
    const story = await api('GET', `/stories/${storyId}`);
    await api('PATCH', `/stories/${storyId}`, { version: story.version, priority });
    await page.goto(`${base}/ui/bindings/${bindingId}`);
    await reloadUntil(async () => (await page.getByRole('heading', { name: 'Dead letters (1)' }).count()) === 1);
    expect(await page.locator('#dead-letters').textContent()).toContain(priority);
    await runRails('IssuePriority.create!(name: ENV["PRIORITY"], active: true)', { PRIORITY: priority });
    await page.locator('#dead-letters').getByRole('button', { name: 'Retry', exact: true }).click();
    await page.getByText('Retried: the story\'s latest state is pushed again.').waitFor();
    await eventually(async () => (await getIssue(redmine, seeded.id)).priority.name === priority, 90_000, 500);
    await reloadUntil(async () => (await page.getByRole('heading', { name: 'Dead letters (0)' }).count()) === 1);

    // A conflicting edit: the title changes in Redmine and in the hub; remote_wins decides.
    await editIssue(redmine, seeded.id, { subject: 'Login broken (remote edit)' });
    const before = await api('GET', `/stories/${storyId}`);
    await api('PATCH', `/stories/${storyId}`, { version: before.version, title: 'Login broken (hub edit)' });
    await eventually(async () => (await api('GET', `/stories/${storyId}`)).title === 'Login broken (remote edit)', 90_000, 500);
    await page.goto(`${base}/ui/stories/${storyId}`);
    const row = page.locator('table.timeline tr', { hasText: 'Login broken (hub edit)' }).first();
    await reloadUntil(async () => (await row.count()) > 0, 60_000);
    const text = await row.textContent();
    expect(text).toContain('title');
    expect(text).toContain('two_way');
    expect(text).toContain('remote_wins');
    expect(text).toContain('Customer reports a broken login'); // base: as last synced
    expect(text).toContain('Login broken (hub edit)'); // hub
    expect(text).toContain('Login broken (remote edit)'); // remote
    await shot('story-explain');
    await expectAccessible(page);

    // A connection in use is not deleted, and the console says why.
    await page.goto(connectionUrl);
    await page.getByRole('button', { name: 'Delete connection' }).click();
    await page.getByText('Not deleted, the connection is in use').waitFor();
    expect((await api('GET', '/connections')).items).toHaveLength(1);
  });
});
