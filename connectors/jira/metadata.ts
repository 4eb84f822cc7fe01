import { z } from 'zod';
import type { HttpClient } from '../http/client';
import type { MetadataValue, RemoteMetadata } from '../types';
import type { JiraApi } from './client';
import { userId, type MappingContext } from './mapping';
import { statusShape, userShape } from './shapes';

const PAGE = 100;
const issueTypesWithStatuses = z.array(z.looseObject({ id: z.string(), name: z.string(), statuses: z.array(statusShape) }));
const priority = z.looseObject({ id: z.string(), name: z.string() });
const priorityPage = z.looseObject({ values: z.array(priority), isLast: z.boolean().optional() });
const labelPage = z.looseObject({ values: z.array(z.string()), isLast: z.boolean().optional() });
const customFieldSchema = z.looseObject({ schema: z.looseObject({ type: z.string().optional(), custom: z.string().optional() }).optional() });

/** Reads `GET path?startAt=…` pages until the remote says it is the last (or a page comes back short). */
async function pages<T>(http: HttpClient, path: string, shape: z.ZodType<{ values: T[]; isLast?: boolean | undefined }>, query: Record<string, string> = {}): Promise<T[]> {
  const all: T[] = [];
  for (let startAt = 0; ;) {
    const page = await http.json({ path, query: { ...query, startAt, maxResults: PAGE } }, shape);
    all.push(...page.values);
    if (page.isLast !== false || page.values.length === 0) return all;
    startAt += page.values.length;
  }
}

const unique = <T extends MetadataValue>(values: T[]): T[] => [...new Map(values.map((v) => [v.name, v])).values()];

/**
 * A Jira project's lists: its issue types and their workflows' statuses (category Done is closed),
 * the priorities, the users assignable in it (named as the connector reads an assignee: accountId on
 * Cloud, login on Data Center), the site's labels (Cloud only: Data Center's REST v2 has no label
 * list) and the custom fields.
 */
export async function jiraMetadata(api: JiraApi, http: HttpClient, mapping: MappingContext, scope: string): Promise<RemoteMetadata> {
  const base = `/rest/api/${api.cloud ? 3 : 2}`;
  const project = encodeURIComponent(scope);
  const users: Array<z.infer<typeof userShape>> = [];
  for (let startAt = 0; ;) {
    const page = await http.json({ path: `${base}/user/assignable/search`, query: { project: scope, startAt, maxResults: PAGE } }, userShape.array());
    users.push(...page);
    if (page.length < PAGE) break;
    startAt += page.length;
  }
  const [types, priorities, labels, fields] = await Promise.all([
    http.json({ path: `${base}/project/${project}/statuses` }, issueTypesWithStatuses),
    api.cloud ? pages(http, `${base}/priority/search`, priorityPage) : http.json({ path: `${base}/priority` }, priority.array()),
    api.cloud ? pages(http, `${base}/label`, labelPage) : Promise.resolve([]),
    api.customFields(),
  ]);
  return {
    statuses: unique(types.flatMap((t) => t.statuses).map((s) => ({ id: s.id, name: s.name, closed: s.statusCategory.key === 'done' }))),
    priorities: priorities.map((p) => ({ id: p.id, name: p.name })),
    users: users.flatMap((u) => {
      const name = userId(mapping, u);
      return name === null ? [] : [{ name, ...(u.displayName ? { displayName: u.displayName } : {}) }];
    }),
    labels: labels.map((name) => ({ name })),
    issueTypes: types.map((t) => ({ id: t.id, name: t.name })),
    customFields: fields.map((f) => {
      const type = customFieldSchema.safeParse(f).data?.schema?.type;
      return { id: f.id, name: f.name, ...(type ? { type } : {}) };
    }),
  };
}
