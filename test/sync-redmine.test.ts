import { and, eq, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../db/client';
import { comments, connections, outboxEvents, stories } from '../db/schema';
import { testSecretBox } from './support/harness';
import { addNote, createProject, editIssue, ensureRedmine, listStatuses, seedIssues, type Redmine, type RmIssue } from './support/redmine';
import { startStack, type Stack } from './support/scenario';

const ISSUES = 300;
const JOURNAL_EVERY = 10;

describe('Redmine → hub: initial sync and incremental pull (real Redmine, Temporal, Postgres)', { timeout: 180_000 }, () => {
  let stack: Stack;
  let redmine: Redmine;
  let project: string;
  let seeded: RmIssue[];
  let bound: Awaited<ReturnType<Stack['bind']>>;

  beforeAll(async () => {
    redmine = await ensureRedmine();
    project = (await createProject(redmine)).identifier;
    seeded = await seedIssues(redmine, project, ISSUES, { withJournalsEvery: JOURNAL_EVERY });
    stack = await startStack();
    bound = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, project);
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('imports every issue with status, tracker and priority names, and journal notes as comments', async () => {
    const started = Date.now();
    const { run } = await stack.initialSync(bound.binding.id, 180_000);
    const seconds = (Date.now() - started) / 1000;
    console.info(`[measure] Redmine initial sync: ${ISSUES} issues in ${seconds.toFixed(1)} s = ${(ISSUES / seconds).toFixed(0)} issues/s`);
    expect(run.status).toBe('completed');
    expect(await stack.database.db.$count(stories, and(eq(stories.projectId, bound.project.id), isNull(stories.deletedAt)))).toBe(ISSUES);
    expect(run.counts).toMatchObject({ created: ISSUES, failed: 0 });
    const [sample] = await queryRows<{ title: string; status: string; priority: string | null }>(stack.database.db, sql`
      select s.title, s.status, s.priority from stories s join external_links l on l.story_id = s.id where l.remote_id = ${String(seeded[0]!.id)}`);
    expect(sample).toMatchObject({ title: seeded[0]!.subject, status: seeded[0]!.status.name, priority: seeded[0]!.priority.name });
    expect(await stack.database.db.$count(comments)).toBe(ISSUES / JOURNAL_EVERY);
  });

  it('picks up issues edited between pulls, and their new notes', async () => {
    const statuses = await listStatuses(redmine);
    const closed = statuses.find((s) => s.is_closed)!;
    const [a, b, c] = [seeded[5]!, seeded[150]!, seeded[299]!];
    await editIssue(redmine, a.id, { subject: 'Edited in Redmine' });
    await editIssue(redmine, b.id, { status_id: closed.id });
    await addNote(redmine, c.id, 'A note added between pulls');
    const run = await stack.pullNow(bound.binding.id, 120_000);
    expect(run.status).toBe('completed');
    expect(run.counts.updated).toBe(2);
    expect(run.counts.created).toBe(0);
    const rows = await queryRows<{ remote_id: string; title: string; status: string; closed: boolean }>(stack.database.db, sql`
      select l.remote_id, s.title, s.status, s.closed from stories s join external_links l on l.story_id = s.id
      where l.remote_id in (${String(a.id)}, ${String(b.id)})`);
    const byId = Object.fromEntries(rows.map((r) => [r.remote_id, r]));
    expect(byId[String(a.id)]).toMatchObject({ title: 'Edited in Redmine' });
    expect(byId[String(b.id)]).toMatchObject({ status: closed.name, closed: true });
    expect(await stack.database.db.$count(comments, eq(comments.body, 'A note added between pulls'))).toBe(1);
  });

  it('a pull with nothing new changes nothing in the hub', async () => {
    await stack.pullNow(bound.binding.id, 120_000); // the overlap window re-reads the last edits once
    const before = await stack.database.db.$count(outboxEvents);
    const run = await stack.pullNow(bound.binding.id, 120_000);
    expect(run).toMatchObject({ status: 'completed', counts: { created: 0, updated: 0, failed: 0 } });
    expect(await stack.database.db.$count(outboxEvents)).toBe(before);
  });

  it('pauses the binding when the API key is rejected', async () => {
    // Bound with a good key (a binding's scope is checked when it is created), then the key stops working.
    const other = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, project);
    await stack.database.db.update(connections)
      .set({ secretsSealed: testSecretBox.seal({ apiKey: 'not-a-valid-key-000000000000000000000000' }) })
      .where(eq(connections.id, other.connection.id));
    const { run } = await stack.initialSync(other.binding.id);
    expect(run.status).toBe('failed');
    const status = await stack.get(`/bindings/${other.binding.id}`);
    expect(status.status).toMatch(/^Paused: bad credentials/);
  });
});
