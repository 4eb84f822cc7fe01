/**
 * What the connector reads of Jira's REST answers (Cloud platform REST v3, Data Center REST v2), and
 * nothing more: loose objects, so the rest passes into `raw` untouched. A field we read that is
 * missing or retyped fails at the edge, naming its path.
 */
import { z } from 'zod';

/** Cloud names users by accountId only; Data Center by name (login) and key. */
export const userShape = z.looseObject({ accountId: z.string().optional(), name: z.string().optional(), key: z.string().optional(), displayName: z.string().optional() });
const named = z.looseObject({ id: z.string().optional(), name: z.string() });
const statusCategory = z.looseObject({ key: z.string(), name: z.string() });
export const statusShape = z.looseObject({ id: z.string(), name: z.string(), statusCategory });

export const issueShape = z.looseObject({
  id: z.string(),
  key: z.string(),
  fields: z.looseObject({
    summary: z.string(),
    description: z.unknown().optional(),
    status: statusShape,
    priority: named.nullish(),
    assignee: userShape.nullish(),
    labels: z.array(z.string()).optional(),
    issuetype: named.optional(),
    created: z.string(),
    updated: z.string(),
  }),
  properties: z.record(z.string(), z.unknown()).optional(),
});

export const cloudSearchShape = z.looseObject({ issues: z.array(issueShape), nextPageToken: z.string().nullish(), isLast: z.boolean().optional() });
const idOnly = z.looseObject({ id: z.string() });
const summaryOnly = z.looseObject({ id: z.string(), key: z.string(), fields: z.looseObject({ summary: z.string().optional() }) });
export const cloudSummariesShape = z.looseObject({ issues: z.array(summaryOnly), nextPageToken: z.string().nullish(), isLast: z.boolean().optional() });
export const offsetSummariesShape = z.looseObject({ issues: z.array(summaryOnly), startAt: z.number().int(), total: z.number().int() });
/** A search's page shapes on each deployment. */
export interface SearchShapes<T> {
  cloud: z.ZodType<{ issues: T[]; nextPageToken?: string | null | undefined; isLast?: boolean | undefined }>;
  offset: z.ZodType<{ issues: T[]; startAt: number; total: number }>;
}
export const cloudIdsShape = z.looseObject({ issues: z.array(idOnly), nextPageToken: z.string().nullish(), isLast: z.boolean().optional() });
export const offsetIdsShape = z.looseObject({ issues: z.array(idOnly), total: z.number().int() });
export const offsetSearchShape = z.looseObject({ issues: z.array(issueShape), startAt: z.number().int(), maxResults: z.number().int(), total: z.number().int() });

export const fieldShape = z.looseObject({ id: z.string(), name: z.string(), custom: z.boolean().optional() });
export const projectShape = z.looseObject({ id: z.string(), key: z.string(), name: z.string(), projectCategory: z.looseObject({ name: z.string() }).optional() });
export const projectPageShape = z.looseObject({ values: z.array(projectShape), isLast: z.boolean().optional(), startAt: z.number().int(), total: z.number().int().optional() });

export const commentShape = z.looseObject({ id: z.string(), body: z.unknown(), author: userShape.optional(), created: z.string(), updated: z.string() });
export const commentPageShape = z.looseObject({ comments: z.array(commentShape), startAt: z.number().int(), total: z.number().int() });

export const transitionShape = z.looseObject({
  id: z.string(),
  name: z.string(),
  to: statusShape,
  fields: z.record(z.string(), z.looseObject({ required: z.boolean(), name: z.string().optional(), hasDefaultValue: z.boolean().optional() })).optional(),
});
export const transitionsShape = z.looseObject({ transitions: z.array(transitionShape) });

export const attachmentShape = z.looseObject({ id: z.string(), filename: z.string(), size: z.number().int(), mimeType: z.string().optional(), created: z.string(), author: userShape.optional() });
const changeItem = z.looseObject({ field: z.string(), fieldId: z.string().optional(), fieldtype: z.string().optional(), from: z.string().nullish(), fromString: z.string().nullish(), to: z.string().nullish(), toString: z.string().nullish() });
export const historyShape = z.looseObject({ id: z.string(), author: userShape.optional(), created: z.string(), items: z.array(changeItem) });
/** Cloud: GET /issue/{key}/changelog pages; Data Center: GET /issue/{key}?expand=changelog. */
export const changelogPageShape = z.looseObject({ values: z.array(historyShape), startAt: z.number().int(), total: z.number().int().optional(), isLast: z.boolean().optional() });
export const expandedChangelogShape = z.looseObject({ changelog: z.looseObject({ histories: z.array(historyShape) }) });
export type JiraHistory = z.infer<typeof historyShape>;
export const propertyShape = z.looseObject({ key: z.string(), value: z.unknown() });
export const createdShape = z.looseObject({ id: z.string(), key: z.string() });

export type JiraIssue = z.infer<typeof issueShape>;
export type JiraComment = z.infer<typeof commentShape>;
export type JiraTransition = z.infer<typeof transitionShape>;
export type JiraUser = z.infer<typeof userShape>;
export type JiraAttachment = z.infer<typeof attachmentShape>;
