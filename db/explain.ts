import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { FieldReason } from '../rules';
import type { Db } from './client';
import { activity } from './schema';

export type ExplainEntry = typeof activity.$inferSelect;
export type NewExplainEntry = typeof activity.$inferInsert;
export const EXPLAIN_KINDS = ['field', 'conflict', 'comment', 'file', 'delete', 'create'] as const;

/** Where a write happened: the story, the binding, the sync and the remote item. */
export interface ExplainContext {
  storyId: string;
  bindingId: string;
  direction: 'pull' | 'push' | 'create';
  remoteId?: string | null;
  remoteKey?: string | null;
  runId?: string | null;
  storyVersion?: number | null;
}

/** Explain-log rows for field decisions (rules/reasons.ts): a field changed on both sides is a conflict entry. */
export function fieldEntries(ctx: ExplainContext, reasons: FieldReason[]): NewExplainEntry[] {
  return reasons.map((r) => ({
    ...ctx, kind: r.conflict || r.target === 'none' ? 'conflict' : 'field', target: r.target, field: r.field, remoteField: r.remoteField,
    rule: r.rule, policy: r.policy, base: r.base, hub: r.hub, remote: r.remote, written: r.written, outcome: r.outcome,
  }));
}

/**
 * One explain-log row for a story created from a remote item: `written` maps each hub field the rules
 * set to its value, `rules` each to the rule that set it. One row per item, not one per field, keeps
 * an initial sync's log proportional to its items (a page of 100 stories is 100 rows, inserted with them).
 */
export function createEntry(ctx: ExplainContext, reasons: FieldReason[]): NewExplainEntry {
  const written: Record<string, unknown> = {};
  const rules: Record<string, { rule: string; remoteField: string; policy: string | null }> = {};
  for (const r of reasons) {
    written[r.field] = r.written;
    rules[r.field] = { rule: r.rule, remoteField: r.remoteField, policy: r.policy };
  }
  return { ...ctx, kind: 'create', target: 'hub', written, rules, outcome: 'new story from the remote item' };
}

/** Call inside the transaction of the write the entries explain, so an entry exists if and only if its write does. */
export async function recordExplain(db: Db, entries: NewExplainEntry[]): Promise<void> {
  if (entries.length) await db.insert(activity).values(entries);
}

/**
 * Records the entry unless the story's log on this binding already holds the same one: for a write the
 * engine skips, which every later push of the story would otherwise explain again.
 */
export async function recordExplainOnce(db: Db, entry: NewExplainEntry & { hub: string }): Promise<void> {
  const [seen] = await db
    .select({ id: activity.id })
    .from(activity)
    .where(and(
      eq(activity.storyId, entry.storyId), eq(activity.bindingId, entry.bindingId), eq(activity.kind, entry.kind), eq(activity.target, entry.target),
      eq(activity.outcome, entry.outcome), sql`${activity.hub} = ${JSON.stringify(entry.hub)}::jsonb`,
    ))
    .limit(1);
  if (!seen) await recordExplain(db, [entry]);
}

export interface ExplainFilter {
  storyId?: string;
  bindingId?: string;
  kind?: (typeof EXPLAIN_KINDS)[number];
  field?: string;
  /** Entries older than this id (the previous page's last). */
  before?: number;
  limit: number;
}

/** A story's or a binding's entries, newest first. */
export async function listExplain(db: Db, filter: ExplainFilter): Promise<ExplainEntry[]> {
  const where: SQL[] = [];
  if (filter.storyId) where.push(eq(activity.storyId, filter.storyId));
  if (filter.bindingId) where.push(eq(activity.bindingId, filter.bindingId));
  if (filter.kind) where.push(eq(activity.kind, filter.kind));
  // A create entry names its fields in `written`.
  if (filter.field) where.push(or(eq(activity.field, filter.field), and(eq(activity.kind, 'create'), sql`${activity.written} ? ${filter.field}`))!);
  if (filter.before !== undefined) where.push(lt(activity.id, filter.before));
  return db.select().from(activity).where(and(...where)).orderBy(desc(activity.id)).limit(filter.limit);
}

/** Drops entries older than the retention; returns how many. */
export async function pruneExplain(db: Db, olderThan: Date): Promise<number> {
  const rows = await db.delete(activity).where(lt(activity.at, olderThan)).returning({ id: activity.id });
  return rows.length;
}

/** An explain-log row for a comment or a file that crossed (`written`: its body, or its name). */
export function crossingEntry(ctx: ExplainContext, kind: 'comment' | 'file', target: 'hub' | 'remote', written: string, outcome: string): NewExplainEntry {
  return { ...ctx, kind, target, written, outcome };
}
