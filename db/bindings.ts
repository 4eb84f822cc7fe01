import { and, desc, eq, like, ne } from 'drizzle-orm';
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
