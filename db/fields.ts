import type { ItemFields } from '../connectors/types';
import { withoutEmpty } from '../rules/values';
import type { FieldChange } from './outbox';
import type { stories } from './schema';

/** The story fields a binding syncs, in the order changes are reported. */
export const syncedFields = ['title', 'description', 'status', 'closed', 'priority', 'assignee', 'labels', 'customFields'] as const;
export type SyncedField = (typeof syncedFields)[number];

/** What an external link remembers of the remote item as last synced (plus the raw paths rules read). */
export type { RuleSnapshot as Snapshot } from '../rules';

type StoryRow = typeof stories.$inferSelect;

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );

export const sameValue = (a: unknown, b: unknown) => canonical(a ?? null) === canonical(b ?? null);

/**
 * Field-by-field differences from `before` to `after`, in the Bugzilla-push change shape. Between two
 * states of a story an unset value and an empty one are no change (see withoutEmpty); a create lists every field.
 */
export function diffFields(before: Partial<ItemFields> | undefined, after: ItemFields): FieldChange[] {
  const same = before ? (a: unknown, b: unknown) => sameValue(withoutEmpty(a), withoutEmpty(b)) : sameValue;
  return syncedFields
    .filter((f) => !same(before?.[f], after[f]))
    .map((f) => ({ field: f, added: after[f], removed: before?.[f] ?? null }));
}

export function storyFields(story: StoryRow): ItemFields {
  return {
    title: story.title,
    description: story.description,
    status: story.status,
    closed: story.closed,
    priority: story.priority,
    assignee: story.assignee,
    labels: story.labels,
    customFields: story.customFields,
  };
}
