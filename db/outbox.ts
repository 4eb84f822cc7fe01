import type { Db } from './client';
import { outboxEvents } from './schema';

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

/** Call inside the transaction that makes the change, so the event exists if and only if the change does. */
export async function insertOutboxEvent(db: Db, event: OutboxEvent): Promise<number> {
  const [row] = await db.insert(outboxEvents).values(event).returning({ id: outboxEvents.id });
  return row!.id;
}
