import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteItem } from '../connectors/types';
import { createEntry } from '../db/explain';
import { diffFields, storyFields } from '../db/fields';
import { activity, bindings, connections, externalLinks, outboxEvents, projects, stories } from '../db/schema';
import { decidePull, effectiveRules } from '../rules';
import { applyRemotePage } from '../sync/pull';
import { createTestDatabase } from './support/harness';

/**
 * A story created from a remote item carries, in its create event (what sinks, hooks and the other
 * bindings receive), its explain entry and its link's snapshot, exactly the values it was created
 * with. The insert sends each value once and builds those copies in SQL (db/pulled.ts); each copy is
 * checked here against the one the engine's own functions make in JavaScript.
 */
describe('stories created by a pull (Postgres)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let binding: { id: string; projectId: string; importPolicy: string; rules: unknown };

  // A path rule (the snapshot then holds paths), a default and a one-way custom field beside the defaults.
  const rules = { fields: [
    { hub: 'title', remote: 'title', kind: 'two_way', policy: 'remote_wins' },
    { hub: 'description', remote: 'description', kind: 'two_way' },
    { hub: 'status', remote: 'status', kind: 'two_way' },
    { hub: 'labels', remote: 'labels', kind: 'two_way' },
    { hub: 'assignee', remote: 'assignee', kind: 'one_way' },
    { hub: 'priority', remote: 'priority', kind: 'default', default: 'normal' },
    { hub: 'customFields.Milestone', remote: 'milestone.title', kind: 'one_way' },
  ] };

  const item = (n: number, fields: Partial<RemoteItem['fields']>, raw: RemoteItem['raw'] = {}): RemoteItem => ({
    remoteId: String(n), key: `acme/app#${n}`, url: `https://github.com/acme/app/issues/${n}`,
    createdAt: '2026-11-01T10:00:00Z', updatedAt: `2026-11-01T10:00:0${n % 10}Z`, raw,
    fields: { title: `Issue ${n}`, description: 'Plain', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {}, ...fields },
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    const [project] = await database.db.insert(projects).values({ key: 'PC', name: 'pulled creates' }).returning();
    const [connection] = await database.db.insert(connections).values({ connector: 'github', name: 'gh', config: {}, secretsSealed: 'unused' }).returning();
    const [row] = await database.db.insert(bindings).values({ projectId: project!.id, connectionId: connection!.id, scope: 'acme/app', rules }).returning();
    binding = { id: row!.id, projectId: project!.id, importPolicy: 'auto', rules };
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('records each created story\'s values in its event, explain entry and snapshot as it was created', async () => {
    const items = [
      item(1, { description: 'A body with "quotes", a \\ backslash, <!-- a comment --> and ünïcödé ✓\nsecond line', labels: ['good first issue', 'bug'], assignee: 'octocat' },
        { milestone: { title: 'v1.0' } }),
      item(2, { description: '', priority: 'high', customFields: { Team: 'core' } }),
      item(3, { title: 'Closed one', status: 'closed', closed: true }),
      item(4, { description: 'x'.repeat(5000) }, { milestone: null }),
    ];
    const result = await applyRemotePage(database.db, binding, items, { full: true, listedAt: new Date() });
    expect(result.counts).toMatchObject({ created: 4, failed: 0 });

    const effective = effectiveRules(rules, 'github');
    for (const it of items) {
      const [link] = await database.db.select().from(externalLinks).where(eq(externalLinks.remoteId, it.remoteId));
      const [story] = await database.db.select().from(stories).where(eq(stories.id, link!.storyId));
      const [event] = await database.db.select().from(outboxEvents).where(eq(outboxEvents.storyId, story!.id));
      const [entry] = await database.db.select().from(activity).where(eq(activity.storyId, story!.id));
      const decision = decidePull(effective, { hub: null, remote: it, snapshot: null });
      const expected = createEntry({ storyId: story!.id, bindingId: binding.id, direction: 'create' }, decision.reasons);

      expect(event!.changes, `event of ${it.key}`).toEqual(diffFields(undefined, storyFields(story!)));
      expect(event!.changes.map((c) => c.field)).toContain('title');
      expect(entry!.written, `explain entry of ${it.key}`).toEqual(JSON.parse(JSON.stringify(expected.written)));
      expect(entry!.rules).toEqual(expected.rules);
      expect(link!.snapshot, `snapshot of ${it.key}`).toEqual(JSON.parse(JSON.stringify(decision.snapshot)));
    }
    // The values users see: the long body whole, the empty one kept, the default filled, the path read.
    const written = async (n: number) => (await database.db.select().from(activity).innerJoin(externalLinks, eq(externalLinks.storyId, activity.storyId))
      .where(eq(externalLinks.remoteId, String(n))))[0]!.activity.written as Record<string, unknown>;
    expect((await written(4)).description).toBe('x'.repeat(5000));
    expect((await written(1))['customFields.Milestone']).toBe('v1.0');
    expect((await written(1)).priority).toBe('normal');
    expect((await written(2)).priority).toBe('high');
  });
});
