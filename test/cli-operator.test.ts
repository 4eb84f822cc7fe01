import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeadLetter } from '../db/deadletters';
import { deadLetters, externalLinks, outboxEvents, stories } from '../db/schema';
import type { ItemReport } from '../cli/dry-run';
import { runCli } from './support/cli';
import { createIssue, createProject, editIssue, ensureRedmine, seedIssues, type Redmine, type RmIssue } from './support/redmine';
import { serveApi, startStack, type Stack } from './support/scenario';

/** The key testSecretBox seals with (test/support/harness.ts), as the server's TRACKBRIDGE_SECRET_KEY. */
const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

describe('trackbridge pull --dry-run and the operator commands (real Redmine, Postgres, Temporal, API)', { timeout: 240_000 }, () => {
  let stack: Stack;
  let redmine: Redmine;
  let project: string;
  let seeded: RmIssue[];
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let served: Awaited<ReturnType<typeof serveApi>> | undefined;
  let apiEnv: Record<string, string>;

  beforeAll(async () => {
    redmine = await ensureRedmine();
    project = (await createProject(redmine)).identifier;
    seeded = await seedIssues(redmine, project, 4);
    stack = await startStack();
    bound = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, project);
    served = await serveApi(stack);
    apiEnv = { TRACKBRIDGE_API_URL: served.base, TRACKBRIDGE_TOKEN: stack.api.token, TRACKBRIDGE_POLL_MS: '200' };
  }, 300_000);
  afterAll(async () => {
    await served?.close();
    await stack?.stop();
  });

  const storyOf = async (remoteId: number) => {
    const [row] = await stack.database.db.select({ story: stories }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, String(remoteId))));
    return row!.story;
  };

  it('sync --follow starts the initial sync and follows it to completion', async () => {
    const { code, stdout, stderr } = await runCli(['sync', bound.binding.id, '--follow'], apiEnv, 180_000);
    expect(code, stderr).toBe(0);
    // Off a terminal, progress is a line on stderr each time it moves (a run this short may finish before the first poll).
    for (const line of stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^Initial sync: \d+( of \d+)? items/);
    expect(stdout).toMatch(/^started initial-sync\/.+\ncompleted \(.*created 4/);
    expect((await storyOf(seeded[0]!.id)).title).toBe(seeded[0]!.subject);
  });

  it('pull --dry-run prints field-by-field decisions against the live remote, and writes nothing', async () => {
    const [a, b, c] = [seeded[0]!, seeded[1]!, seeded[2]!];
    // a: edited on the remote only. b: the title edited on both sides. c: the description edited in the hub only
    // (straight in the database, with no outbox event, so no push races the dry run).
    await editIssue(redmine, a.id, { subject: 'Edited in Redmine' });
    await editIssue(redmine, b.id, { subject: 'Remote title of b' });
    await stack.database.db.update(stories).set({ title: 'Hub title of b' }).where(eq(stories.id, (await storyOf(b.id)).id));
    await stack.database.db.update(stories).set({ description: 'Hub description of c' }).where(eq(stories.id, (await storyOf(c.id)).id));
    const fresh = await createIssue(redmine, project, { subject: 'Created after the sync' });

    const hubBefore = await stack.database.db.select().from(stories).where(eq(stories.projectId, bound.project.id));
    const linksBefore = await stack.database.db.select().from(externalLinks).where(eq(externalLinks.bindingId, bound.binding.id));
    const outboxBefore = await stack.database.db.$count(outboxEvents);

    // No API, no Temporal: the database and the remote only.
    const env = { DATABASE_URL: stack.database.url, TRACKBRIDGE_SECRET_KEY: SECRET_KEY, NODE_ENV: 'test', TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const { code, stdout, stderr } = await runCli(['pull', bound.binding.id, '--dry-run', '--full', '--json'], env);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/# dry run: 5 items listed \(full listing\), 1 new, 4 with changes, 1 conflicting fields; nothing was written/);
    const reports = new Map(stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as ItemReport).map((r) => [r.remoteId, r]));
    const field = (issue: { id: number }, name: string) => reports.get(String(issue.id))!.fields.find((f) => f.field === name)!;

    expect(reports.get(String(a.id))!.storyId).toBe((await storyOf(a.id)).id);
    expect(field(a, 'title')).toEqual({
      field: 'title', remoteField: 'title', base: a.subject, hub: a.subject, remote: 'Edited in Redmine', decision: 'write hub', rule: 'two_way (remote_wins)',
    });
    expect(field(a, 'description').decision).toBe('keep');
    expect(field(b, 'title')).toMatchObject({ base: b.subject, hub: 'Hub title of b', remote: 'Remote title of b', decision: 'conflict', resolution: 'remote wins: write hub' });
    expect(field(c, 'description')).toMatchObject({ base: c.description, hub: 'Hub description of c', remote: c.description, decision: 'write remote' });
    expect(reports.get(String(seeded[3]!.id))!.fields.every((f) => f.decision === 'keep')).toBe(true);
    expect(reports.get(String(fresh.id))).toMatchObject({ storyId: 'new' });
    expect(field(fresh, 'title')).toMatchObject({ hub: null, remote: 'Created after the sync', decision: 'write hub' });

    // The human form of the same run, through `connector <slug> pull`.
    const text = await runCli(['connector', 'redmine', 'pull', '--dry-run', '--binding', bound.binding.id, '--changes-only'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`#${a.id} \\(remote ${a.id}\\) → story [0-9a-f-]{36}\\n\\s+FIELD\\s+BASE\\s+HUB\\s+REMOTE\\s+DECISION\\s+RULE`));
    expect(text.stdout).toMatch(/title\s+"Seeded issue 2"\s+"Hub title of b"\s+"Remote title of b"\s+conflict \(remote wins: write hub\)\s+two_way \(remote_wins\)/);
    expect(text.stdout).not.toContain(`#${seeded[3]!.id} (remote`); // unchanged, left out by --changes-only
    expect(text.stdout).not.toContain(redmine.apiKey);

    // Nothing moved in the hub: stories, links (snapshots, cursors) and the outbox are as they were.
    expect(await stack.database.db.select().from(stories).where(eq(stories.projectId, bound.project.id))).toEqual(hubBefore);
    expect(await stack.database.db.select().from(externalLinks).where(eq(externalLinks.bindingId, bound.binding.id))).toEqual(linksBefore);
    expect(await stack.database.db.$count(outboxEvents)).toBe(outboxBefore);
  });

  it('pull --follow applies what the dry run announced', async () => {
    const { code, stdout } = await runCli(['pull', bound.binding.id, '--follow'], apiEnv);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^started pull\/.+\ncompleted \(/);
    expect((await storyOf(seeded[0]!.id)).title).toBe('Edited in Redmine');
  });

  it('bindings list shows state, status, next pull and backlog; deadletters list and drop', async () => {
    const story = await storyOf(seeded[0]!.id);
    await insertDeadLetter(stack.database.db, { bindingId: bound.binding.id, storyId: story.id, eventId: 1, error: 'Redmine PUT /issues/1.json → 422: Subject cannot be blank' });
    const [letter] = await stack.database.db.select().from(deadLetters).where(eq(deadLetters.bindingId, bound.binding.id));

    const list = await runCli(['bindings', 'list'], apiEnv);
    expect(list.code, list.stderr).toBe(0);
    const row = list.stdout.split('\n').find((l) => l.startsWith(bound.binding.id))!;
    expect(row).toMatch(new RegExp(`redmine\\s+${project}\\s+active\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+0 waiting, 1 dead\\s+Synced \\d+ issues at`));

    // The token may come from a file instead of the environment.
    const dir = mkdtempSync(join(tmpdir(), 'trackbridge-cli-token-'));
    writeFileSync(join(dir, 'token'), `${stack.api.token}\n`);
    const fromFile = { TRACKBRIDGE_API_URL: apiEnv.TRACKBRIDGE_API_URL };
    const dl = await runCli(['deadletters', 'list', bound.binding.id, '--token-file', join(dir, 'token')], fromFile);
    expect(dl.code, dl.stderr).toBe(0);
    expect(dl.stdout).toMatch(new RegExp(`${letter!.id}\\s+${story.id}\\s+1\\s+\\S+\\s+Redmine PUT /issues/1.json → 422: Subject cannot be blank`));

    const drop = await runCli(['deadletters', 'drop', bound.binding.id, letter!.id], apiEnv);
    expect(drop).toMatchObject({ code: 0, stdout: 'dropped 1\n' });
    expect((await runCli(['deadletters', 'list', bound.binding.id], apiEnv)).stdout).toBe('no open dead letters\n');
  });

  it('deadletters retry re-pushes one letter, or every open one with --all, and they leave the list', async () => {
    const [a, b] = [await storyOf(seeded[0]!.id), await storyOf(seeded[1]!.id)];
    for (const story of [a, b]) {
      await insertDeadLetter(stack.database.db, { bindingId: bound.binding.id, storyId: story.id, eventId: 1, error: 'Redmine PUT → 422: refused' });
    }
    const open = async () => stack.database.db.select().from(deadLetters).where(and(eq(deadLetters.bindingId, bound.binding.id), eq(deadLetters.state, 'open')));
    const [first] = (await open()).filter((d) => d.storyId === a.id);
    expect(await runCli(['deadletters', 'retry', bound.binding.id], apiEnv)).toMatchObject({ code: 2 });
    expect(await runCli(['deadletters', 'retry', bound.binding.id, first!.id], apiEnv)).toMatchObject({ code: 0, stdout: 'retried 1\n' });
    expect((await open()).map((d) => d.storyId)).toEqual([b.id]);
    expect(await runCli(['deadletters', 'retry', bound.binding.id, '--all'], apiEnv)).toMatchObject({ code: 0, stdout: 'retried 1\n' });
    expect(await open()).toEqual([]);
    expect((await runCli(['deadletters', 'list', bound.binding.id], apiEnv)).stdout).toBe('no open dead letters\n');
  });

  it('operator commands fail with one line: no token, a bad token, an unknown binding', async () => {
    const none = await runCli(['bindings', 'list'], { TRACKBRIDGE_API_URL: apiEnv.TRACKBRIDGE_API_URL });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error \(usage\): no API token: set TRACKBRIDGE_TOKEN or pass --token-file <path>/);
    const bad = await runCli(['bindings', 'list'], { ...apiEnv, TRACKBRIDGE_TOKEN: 'tb_not-a-token' });
    expect(bad.code).toBe(3);
    expect(bad.stderr.trimEnd()).toBe('error (auth): GET /bindings answered 401 unauthorized: Invalid or revoked token');
    const missing = await runCli(['pull', '00000000-0000-4000-8000-000000000000'], apiEnv);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trimEnd()).toMatch(/^error \(api\): POST \/bindings\/0{8}-.* answered 404 not_found: binding not found$/);
  });
});
