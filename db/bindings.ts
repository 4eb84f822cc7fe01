import { and, desc, eq, isNotNull, like, ne } from 'drizzle-orm';
import type { Db } from './client';
import { fireHook } from './hooks';
import { bindings, connections, runs } from './schema';

export type Binding = typeof bindings.$inferSelect;
export type BindingState = 'active' | 'paused' | 'deleted';

/** Allowed state transitions (Nango-style table, not an if-ladder). */
const transitions: Record<BindingState, readonly BindingState[]> = {
  active: ['paused', 'deleted'],
  paused: ['active', 'deleted'],
  deleted: [],
};

export class BindingTransitionError extends Error {
  constructor(readonly from: string, readonly to: BindingState) {
    super(`binding cannot go from ${from} to ${to}`);
    this.name = 'BindingTransitionError';
  }
}

export const canTransition = (from: string, to: BindingState) => (transitions[from as BindingState] ?? []).includes(to);

export async function insertBinding(db: Db, values: typeof bindings.$inferInsert): Promise<Binding> {
  const [row] = await db.insert(bindings).values(values).returning();
  if (!row) throw new Error('binding insert returned nothing');
  return row;
}

export async function getBinding(db: Db, id: string): Promise<Binding | undefined> {
  const [row] = await db.select().from(bindings).where(eq(bindings.id, id));
  return row;
}

/** The binding with its connection's connector slug (never the secrets). */
export async function getBindingWithConnector(db: Db, id: string) {
  const [row] = await db
    .select({ binding: bindings, connector: connections.connector })
    .from(bindings)
    .innerJoin(connections, eq(connections.id, bindings.connectionId))
    .where(eq(bindings.id, id));
  return row;
}

/** The binding with its whole connection row (sealed secrets included): what a worker opens a client from. */
export async function bindingWithConnection(db: Db, id: string): Promise<{ binding: Binding; connection: typeof connections.$inferSelect } | undefined> {
  const [row] = await db
    .select({ binding: bindings, connection: connections })
    .from(bindings)
    .innerJoin(connections, eq(connections.id, bindings.connectionId))
    .where(eq(bindings.id, id));
  return row;
}

/** Live bindings (of one project) with their connector slug, in one query. */
export async function listBindings(db: Db, projectId?: string): Promise<(Binding & { connector: string })[]> {
  const where = projectId ? and(eq(bindings.projectId, projectId), ne(bindings.state, 'deleted')) : ne(bindings.state, 'deleted');
  const rows = await db
    .select({ binding: bindings, connector: connections.connector })
    .from(bindings)
    .innerJoin(connections, eq(connections.id, bindings.connectionId))
    .where(where)
    .orderBy(desc(bindings.createdAt));
  return rows.map((r) => ({ ...r.binding, connector: r.connector }));
}

/** Moves a binding to `to` if the table allows it; returns the updated row. */
export async function transitionBinding(db: Db, id: string, to: BindingState, reason: string | null = null): Promise<Binding> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(bindings).where(eq(bindings.id, id)).for('update');
    if (!current) throw new Error(`binding ${id} not found`);
    if (current.state === to) {
      if (to === 'paused' && reason && current.pausedReason !== reason) {
        const [row] = await tx.update(bindings).set({ pausedReason: reason, updatedAt: new Date() }).where(eq(bindings.id, id)).returning();
        return row!;
      }
      return current;
    }
    if (!canTransition(current.state, to)) throw new BindingTransitionError(current.state, to);
    const [row] = await tx
      .update(bindings)
      .set({ state: to, pausedReason: to === 'paused' ? reason : null, updatedAt: new Date() })
      .where(eq(bindings.id, id))
      .returning();
    if (to === 'paused') await fireHook(tx, 'binding.paused', { bindingId: id, projectId: current.projectId, reason: reason ?? 'by an operator' });
    return row!;
  });
}

export async function lastRun(db: Db, bindingId: string) {
  const [row] = await db.select().from(runs).where(eq(runs.bindingId, bindingId)).orderBy(desc(runs.startedAt)).limit(1);
  return row;
}

/** The paused reason of a binding whose remote rejected its credentials (see pauseForAuth). */
export const AUTH_PAUSE_REASON = 'bad credentials';

/** A connection's bindings paused because the remote rejected its credentials: what a rotation resumes. */
export async function bindingsPausedForAuth(db: Db, connectionId: string): Promise<string[]> {
  const rows = await db.select({ id: bindings.id }).from(bindings)
    .where(and(eq(bindings.connectionId, connectionId), eq(bindings.state, 'paused'), like(bindings.pausedReason, `${AUTH_PAUSE_REASON}%`)));
  return rows.map((r) => r.id);
}

/** A connection's active bindings: where a webhook for that connection may point. */
export async function activeBindingsOfConnection(db: Db, connectionId: string): Promise<Pick<Binding, 'id' | 'projectId' | 'scope'>[]> {
  return db.select({ id: bindings.id, projectId: bindings.projectId, scope: bindings.scope }).from(bindings)
    .where(and(eq(bindings.connectionId, connectionId), eq(bindings.state, 'active')));
}

// The binding row's other writes, all here: the status, the timers and the API read what they set.

/** Stores a binding's rules (null: the connector's defaults); its warnings start over under them. */
export async function setBindingRules(db: Db, id: string, rules: unknown): Promise<void> {
  await db.update(bindings).set({ rules, warnings: [], updatedAt: new Date() }).where(eq(bindings.id, id));
}

/** A complete listing: the watermark the next incremental pull starts from, and what it saw. */
export async function recordListing(db: Db, id: string, listing: { cursor: unknown; items: number }): Promise<void> {
  await db.update(bindings).set({ pullCursor: listing.cursor, lastPullAt: new Date(), lastSyncedCount: listing.items, updatedAt: new Date() }).where(eq(bindings.id, id));
}

/** Whether the relay queues the binding's events on its backlog instead of pushing them directly. */
export async function setBacklogged(db: Db, id: string, backlogged: boolean): Promise<void> {
  await db.update(bindings).set({ backlogged, updatedAt: new Date() }).where(eq(bindings.id, id));
}

/** A webhook's fetch read one of the binding's items: webhooks reach it (see pullQuickly). */
export async function markWebhookRead(db: Db, id: string, at = new Date()): Promise<void> {
  await db.update(bindings).set({ lastWebhookAt: at }).where(eq(bindings.id, id));
}

/** An id-only deletion sweep finished (it paces the next). */
export async function markSwept(db: Db, id: string, at: Date): Promise<void> {
  await db.update(bindings).set({ lastSweptAt: at }).where(eq(bindings.id, id));
}

const MAX_WARNINGS = 50;

/** Adds new warnings (unmapped values, fields a remote left out) to the binding's status, newest last, keeping the last 50. */
export async function recordWarnings(db: Db, id: string, warnings: string[]): Promise<void> {
  if (!warnings.length) return;
  const [row] = await db.select({ warnings: bindings.warnings }).from(bindings).where(eq(bindings.id, id));
  const current = row?.warnings ?? [];
  const fresh = [...new Set(warnings)].filter((w) => !current.includes(w));
  if (!fresh.length) return;
  await db.update(bindings).set({ warnings: [...current, ...fresh].slice(-MAX_WARNINGS) }).where(eq(bindings.id, id));
}

/** Records that the binding's remote asked us to wait until `until` (a rate limit); the binding status shows it. */
export async function setBindingWait(db: Db, id: string, until: Date, reason: string): Promise<void> {
  await db.update(bindings).set({ waitingUntil: until, waitingReason: reason }).where(eq(bindings.id, id));
}

/** Clears a recorded wait once a call to the remote went through. Writes nothing when there is none. */
export async function clearBindingWait(db: Db, id: string): Promise<void> {
  await db.update(bindings).set({ waitingUntil: null, waitingReason: null }).where(and(eq(bindings.id, id), isNotNull(bindings.waitingUntil)));
}
