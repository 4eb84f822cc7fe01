/**
 * The explain log's acceptance check on a convergence schedule: every field write a pull or a push made
 * has its entry. Writes are observed apart from the log: hub writes by the outbox events a binding
 * caused (their changes and the story version they made), remote writes by the push log (the fields
 * of every create, update and restore), comments by their outbox events.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../db/client';
import { withoutEmpty } from '../../../rules/values';
import type { Bound } from './quiesce';

interface Entry {
  story_id: string; binding_id: string; direction: string; kind: string; target: string; field: string | null; story_version: number | null; rule: string | null; outcome: string;
  /** A create entry's fields (one entry per story created from a remote item) and their rules. */
  fields: string[] | null; rules: Record<string, { rule?: string }> | null;
}

/** A change's or a patch's field as a rule names it: `closed` travels with status, custom fields as one map. */
const asRuleField = (field: string) => (field === 'closed' ? 'status' : field);
const sameField = (entry: string | null, field: string) => entry === field || (field === 'customFields' && !!entry?.startsWith('customFields'));

export async function unexplainedWrites(w: Bound): Promise<string[]> {
  const db = w.stack.database.db;
  const entries = await queryRows<Entry>(db, sql`
    select a.story_id, a.binding_id, a.direction, a.kind, a.target, a.field, a.story_version, a.rule, a.outcome, a.rules,
      case when a.kind = 'create' then (select array_agg(k) from jsonb_object_keys(a.written) k) end as fields
    from activity a join bindings b on b.id = a.binding_id where b.project_id = ${w.projectId}`);
  const out: string[] = [];
  const count = (match: (e: Entry) => boolean) => entries.filter(match).length;

  // Hub writes: each field a binding's write changed, at the version that write made.
  const events = await queryRows<{ story_id: string; origin: string; action: string; changes: { field: string; added: unknown }[]; story_version: number }>(db, sql`
    select story_id, origin, action, changes, story_version from outbox_events
    where project_id = ${w.projectId} and origin <> 'hub' and action in ('create', 'modify') order by id`);
  for (const e of events) {
    for (const field of new Set(e.changes.filter((c) => e.action === 'modify' || withoutEmpty(c.added) !== null).map((c) => asRuleField(c.field)))) {
      const names = (a: Entry) => (a.kind === 'create' ? (a.fields ?? []).find((f) => sameField(f, field)) : sameField(a.field, field) ? a.field : undefined);
      const found = entries.find((a) => a.story_id === e.story_id && a.binding_id === e.origin && a.target === 'hub' && a.story_version === e.story_version && names(a) !== undefined);
      const rule = found && (found.kind === 'create' ? found.rules?.[names(found)!]?.rule : found.rule);
      if (!found) out.push(`hub write of ${field} on story ${e.story_id} (v${e.story_version}, ${e.action} from binding ${e.origin}) has no explain entry`);
      else if (!rule || !found.outcome) out.push(`the entry for ${field} on story ${e.story_id} v${e.story_version} names no rule or outcome`);
    }
  }
  // Comments a binding brought into the hub: as many entries as events.
  const comments = await queryRows<{ story_id: string; origin: string; n: number }>(db, sql`
    select story_id, origin, count(*)::int as n from outbox_events where project_id = ${w.projectId} and origin <> 'hub' and action = 'comment' group by 1, 2`);
  for (const c of comments) {
    const n = count((a) => a.story_id === c.story_id && a.binding_id === c.origin && a.kind === 'comment' && a.target === 'hub');
    if (n < c.n) out.push(`${c.n} comments came into story ${c.story_id} from binding ${c.origin}, ${n} explain entries`);
  }
  // Remote writes: each field of each push's create, update and restore.
  const pushes = await queryRows<{ story_id: string; binding_id: string; operation: string; fields: string[]; story_version: number }>(db, sql`
    select p.story_id, p.binding_id, p.operation, p.fields, p.story_version from push_log p join bindings b on b.id = p.binding_id
    where b.project_id = ${w.projectId} and p.outcome = 'ok' and p.operation in ('create', 'update', 'restore')`);
  const written = new Map<string, number>();
  for (const p of pushes) {
    const direction = p.operation === 'create' ? 'create' : 'push';
    for (const field of new Set(p.fields.map(asRuleField))) {
      const key = JSON.stringify([p.story_id, p.binding_id, direction, p.story_version, field]);
      written.set(key, (written.get(key) ?? 0) + 1);
    }
  }
  // A create sends every field, those no rule covers as empty defaults: the ones the rules send are explained.
  const sent = new Map<string, Set<string>>();
  for (const binding of Object.values(w.bindings)) {
    const rules = (await w.stack.get(`/bindings/${binding}/rules`)).effective as { fields: { hub: string; kind: string }[] };
    sent.set(binding, new Set(rules.fields.filter((r) => r.kind === 'two_way' || r.kind === 'to_remote').map((r) => r.hub)));
  }
  for (const [key, n] of written) {
    const [story, binding, direction, version, field] = JSON.parse(key) as [string, string, string, number, string];
    if (direction === 'create' && ![...(sent.get(binding) ?? [])].some((ruled) => sameField(ruled, field))) continue;
    const explained = count((a) => a.story_id === story && a.binding_id === binding && a.direction === direction && a.target === 'remote' && a.story_version === version && sameField(a.field, field));
    if (explained < n) out.push(`${n} remote ${direction === 'create' ? 'create' : 'write'}(s) of ${field} for story ${story} v${version} on binding ${binding}, ${explained} explain entries`);
  }
  return out;
}
