import { z } from 'zod';
import { isRemoteError } from '../errors';
import type { HttpClient } from '../http/client';
import type { RemoteMetadata } from '../types';
import type { RedmineApi } from './client';
import type { NamedRef } from './mapping';

/** GET /custom_fields.json (administrators only): formats and possible values of the issue custom fields. */
const customFieldDefinitions = z.looseObject({
  custom_fields: z.array(z.looseObject({
    id: z.number().int(),
    name: z.string(),
    customized_type: z.string(),
    field_format: z.string().optional(),
    multiple: z.boolean().optional(),
    possible_values: z.array(z.looseObject({ value: z.string() })).optional(),
  })),
});

/** The definitions when this user may read them; a non-administrator's 403 leaves the project's names alone. */
async function definitions(http: HttpClient) {
  try {
    return (await http.json({ path: '/custom_fields.json' }, customFieldDefinitions)).custom_fields.filter((f) => f.customized_type === 'issue');
  } catch (error) {
    if (isRemoteError(error) && (error.status === 403 || error.status === 404)) return [];
    throw error;
  }
}

const ref = (r: NamedRef) => ({ id: String(r.id), name: r.name });

/**
 * A Redmine project's lists: the instance's statuses (with is_closed), priorities and trackers, the
 * project's members (users and groups, the names an assignee is read as) and its issue custom fields.
 * Redmine has no labels.
 */
export async function redmineMetadata(api: RedmineApi, http: HttpClient, scope: string): Promise<RemoteMetadata> {
  const [statuses, priorities, trackers, memberships, projectFields, defined] = await Promise.all([
    api.statuses(), api.priorities(), api.trackers(), api.memberships(scope), api.projectCustomFields(scope), definitions(http),
  ]);
  const members = new Map<string, NamedRef>();
  for (const m of memberships) for (const r of [m.user, m.group]) if (r) members.set(`${r.id}`, r);
  return {
    statuses: statuses.map((s) => ({ ...ref(s), closed: s.is_closed })),
    priorities: priorities.map(ref),
    users: [...members.values()].map(ref).sort((a, b) => a.name.localeCompare(b.name)),
    labels: [],
    issueTypes: trackers.map(ref),
    customFields: projectFields.map((f) => {
      const d = defined.find((x) => x.id === f.id);
      const values = d?.possible_values?.map((v) => v.value);
      return {
        ...ref(f),
        ...(d?.field_format ? { type: d.field_format } : {}),
        ...((d?.multiple ?? f.multiple) !== undefined ? { multiple: d?.multiple ?? f.multiple ?? false } : {}),
        ...(values?.length ? { values } : {}),
      };
    }),
  };
}
