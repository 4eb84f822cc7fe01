import { eq, sql } from 'drizzle-orm';
import type { HubView } from '../rules';
import { queryRows, type Db } from './client';
import { storyFields } from './fields';
import { insertOutboxEvent } from './outbox';
import { comments, projects } from './schema';
import type { Story } from './stories';

/** The human key a `to_remote` rule can write: project key plus the story id's first 8 characters. */
export const storyKey = (projectKey: string, storyId: string) => `${projectKey}-${storyId.slice(0, 8)}`;

export function hubView(story: Story, projectKey: string): HubView {
  return { fields: storyFields(story), id: story.id, key: storyKey(projectKey, story.id) };
}

export async function projectKey(db: Db, projectId: string): Promise<string> {
  const [row] = await db.select({ key: projects.key }).from(projects).where(eq(projects.id, projectId));
  return row?.key ?? 'HUB';
}

/** Hub comments a rule produced from a pull (message_from_field, default_message); they fan out to the other bindings. */
export async function addRuleMessages(db: Db, binding: { id: string; projectId: string }, storyId: string, bodies: string[]): Promise<void> {
  for (const body of bodies) {
    const [c] = await db.insert(comments).values({ storyId, author: 'trackbridge', body, origin: binding.id }).returning({ id: comments.id });
    const [story] = await queryRows<{ version: number }>(db, sql`select version from stories where id = ${storyId}`);
    await insertOutboxEvent(db, {
      projectId: binding.projectId, storyId, action: 'comment', target: `comment:${c!.id}`, actor: 'trackbridge', origin: binding.id,
      changes: [{ field: 'comment', added: body, removed: null }], storyVersion: story?.version ?? 0,
    });
  }
}
