import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteItem } from '../connectors/types';
import { createStory } from '../db/hub';
import { ensurePendingLink } from '../db/links';
import { bindings, connections, externalLinks, projects, stories } from '../db/schema';
import { applyRemotePage } from '../sync/pull';
import { linear } from '../packages/connector-linear/src/connector';
import { createTestDatabase } from './support/harness';

/**
 * SDK 1.4 `markerForm`: a connector that keeps the create marker as something else (Linear: the issue's
 * client-chosen id, made from the marker) reports that in `RemoteItem.marker`. A pull that lists the
 * issue a crashed create made adopts it into the story's pending link by that form, and imports no
 * second story (I1).
 */
describe('a pull adopts a crashed create by the connector\'s marker form (Postgres)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let binding: { id: string; projectId: string; importPolicy: string; rules: unknown };

  beforeAll(async () => {
    database = await createTestDatabase();
    const [project] = await database.db.insert(projects).values({ key: 'MF', name: 'marker form' }).returning();
    const [connection] = await database.db.insert(connections).values({ connector: 'linear', name: 'linear', config: {}, secretsSealed: 'unused' }).returning();
    const [row] = await database.db.insert(bindings).values({ projectId: project!.id, connectionId: connection!.id, scope: 'ENG', rules: null }).returning();
    binding = { id: row!.id, projectId: project!.id, importPolicy: 'auto', rules: null };
  });
  afterAll(async () => {
    await database?.drop();
  });

  const issue = (id: string, title: string): RemoteItem => ({
    remoteId: id, key: 'ENG-1', url: 'https://linear.app/acme/issue/ENG-1', createdAt: '2026-12-01T10:00:00Z', updatedAt: '2026-12-01T10:00:01Z',
    fields: { title, description: '', status: 'Todo', closed: false, priority: null, assignee: null, labels: [], customFields: {} },
    marker: id, raw: { id },
  });

  it('links the listed issue to the story whose create made it, and creates no story', async () => {
    const story = await createStory(database.db, binding.projectId, { title: 'Born on the hub' }, 'test');
    const marker = `tb-${binding.id.slice(0, 8)}-${story.id}`;
    await ensurePendingLink(database.db, binding.id, story.id, marker);
    const made = issue(linear.markerForm!(marker), 'Born on the hub');

    // Without the marker form the engine cannot tell: the issue would be imported as a second story.
    const blind = await applyRemotePage(database.db, binding, [issue('00000000-0000-4000-8000-000000000000', 'Someone else\'s')], { full: false, listedAt: new Date() });
    expect(blind.counts.created).toBe(1);

    const result = await applyRemotePage(database.db, binding, [made], { full: false, listedAt: new Date(), markerForm: linear.markerForm });
    expect(result.counts).toMatchObject({ created: 0, failed: 0 });
    const [link] = await database.db.select().from(externalLinks).where(eq(externalLinks.storyId, story.id));
    expect(link?.remoteId).toBe(made.remoteId);
    expect(await database.db.$count(stories, eq(stories.projectId, binding.projectId))).toBe(2);
  });
});
