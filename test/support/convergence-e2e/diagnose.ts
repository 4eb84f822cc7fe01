/** The database rows behind a failed schedule: what a reader needs to tell which side lost what. */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../db/client';
import type { World } from './world';

export async function diagnose(w: World): Promise<string> {
  const db = w.stack.database.db;
  const side = (id: string) => (id === w.bindings.A ? 'A' : id === w.bindings.B ? 'B' : id);
  const stories = await queryRows<Record<string, unknown>>(db, sql`
    select id, title, description, status, closed, priority, assignee, labels, version, updated_at from stories
    where project_id = ${w.projectId} order by created_at, id`);
  const links = await queryRows<Record<string, unknown>>(db, sql`
    select l.story_id, l.binding_id, l.remote_id, l.remote_updated_at, l.comments_synced_at, l.snapshot from external_links l
    join stories s on s.id = l.story_id where s.project_id = ${w.projectId} order by l.story_id, l.binding_id`);
  const events = await queryRows<Record<string, unknown>>(db, sql`
    select id, story_id, action, origin, changes, time from outbox_events where project_id = ${w.projectId} order by id`);
  const pushes = await queryRows<Record<string, unknown>>(db, sql`
    select p.binding_id, p.story_id, p.story_version, p.operation, p.fields, p.outcome, p.error, p.created_at as at from push_log p
    join bindings b on b.id = p.binding_id where b.project_id = ${w.projectId} order by p.id`);
  const letters = await queryRows<Record<string, unknown>>(db, sql`
    select d.binding_id, d.story_id, d.error from dead_letters d join bindings b on b.id = d.binding_id where b.project_id = ${w.projectId}`);
  const line = (r: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'binding_id' || k === 'origin' ? side(String(v)) : v])));
  return [
    `bindings: A=${w.bindings.A} (${w.remotes.A.connector} ${w.remotes.A.scope}), B=${w.bindings.B} (${w.remotes.B.connector} ${w.remotes.B.scope})`,
    'stories:', ...stories.map(line), 'links:', ...links.map(line), 'outbox:', ...events.map(line),
    'push log:', ...pushes.map(line), ...(letters.length ? ['dead letters:', ...letters.map(line)] : []),
  ].join('\n');
}
