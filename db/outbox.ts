import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './client';

export interface FieldChange { field: string; added: unknown; removed: unknown }

export interface OutboxEvent {
  projectId: string;
  storyId: string;
  action: 'create' | 'modify' | 'delete' | 'comment' | 'attach';
  target: string;
  actor: string;
  /** 'hub', or the binding whose pull caused the change (it is never pushed back there). */
  origin: string;
  changes: FieldChange[];
  storyVersion: number;
}

/**
 * Call inside the transaction that makes the change, so the event exists if and only if the change does.
 * The event is queued for the relay (outbox_pending) in the same statement.
 */
export async function insertOutboxEvent(db: Db, event: OutboxEvent): Promise<number> {
  const [row] = await queryRows<{ id: string }>(db, sql`
    with event as (
      insert into outbox_events (project_id, story_id, action, target, actor, origin, changes, story_version)
      values (${event.projectId}, ${event.storyId}, ${event.action}, ${event.target}, ${event.actor}, ${event.origin}, ${JSON.stringify(event.changes)}::jsonb, ${event.storyVersion})
      returning id
    )
    insert into outbox_pending (event_id) select id from event returning event_id as id`);
  return Number(row!.id);
}
