import type { ItemFields } from './types';

/** The hub's synced fields (ItemFields), declared once: rules, the change log and plugin validation use this list. */
export const ITEM_FIELDS = ['title', 'description', 'status', 'closed', 'priority', 'assignee', 'labels', 'customFields'] as const satisfies readonly (keyof ItemFields)[];

/** The fields a rule can name (`closed` travels with `status`). */
export const RULE_FIELDS = ITEM_FIELDS.filter((f): f is Exclude<(typeof ITEM_FIELDS)[number], 'closed'> => f !== 'closed');
