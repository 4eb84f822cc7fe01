import { ITEM_FIELDS } from '../connectors/fields';
import type { ItemFields } from '../connectors/types';
import { sameJson, withoutEmpty } from '../rules/values';
import type { FieldChange } from './outbox';
import type { stories } from './schema';

/** The story fields a binding syncs, in the order changes are reported. */
export const syncedFields = ITEM_FIELDS;
export type SyncedField = (typeof syncedFields)[number];

/** What an external link remembers of the remote item as last synced (plus the raw paths rules read). */
export type { RuleSnapshot as Snapshot } from '../rules';

type StoryRow = typeof stories.$inferSelect;

/**
 * Field-by-field differences from `before` to `after`, in the Bugzilla-push change shape. Between two
 * states of a story an unset value and an empty one are no change (see withoutEmpty); a create lists every field.
 */
export function diffFields(before: Partial<ItemFields> | undefined, after: ItemFields): FieldChange[] {
  const same = before ? (a: unknown, b: unknown) => sameJson(withoutEmpty(a), withoutEmpty(b)) : sameJson;
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
