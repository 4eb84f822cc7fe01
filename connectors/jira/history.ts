/**
 * C1 on Jira: what other users set on an issue since our read, from its changelog (Cloud: GET
 * /issue/{key}/changelog; Data Center: expand=changelog). Only the fields we wrote are reported, each
 * with the last value another user gave it. Cloud's changelog keeps a description as plain text, not
 * ADF, so a description is reported from Data Center only (its changelog keeps the wiki markup).
 */
import type { ItemFields, RemoteItem } from '../types';
import type { JiraApi } from './client';
import { MARKER_PROPERTY } from './client';
import { isoDate, propertyOf, readText, userId, type MappingContext } from './mapping';
import type { JiraUser } from './shapes';

export async function jiraEditsSince(api: JiraApi, m: MappingContext, me: JiraUser, remoteId: string, read: RemoteItem, wrote: Partial<ItemFields>): Promise<Partial<ItemFields>> {
  const after = Date.parse(read.updatedAt);
  const ours = (u: JiraUser | undefined) => u !== undefined && userId(m, u) === userId(m, me);
  const theirs = (await api.changelog(remoteId)).filter((h) => Date.parse(isoDate(h.created)) > after && !ours(h.author));
  if (!theirs.length) return {};
  const renames = propertyOf(read.raw as { properties?: Record<string, unknown> }, MARKER_PROPERTY).labels ?? {};
  const out: Partial<ItemFields> = {};
  const custom: Record<string, string | null> = {};
  for (const history of theirs) {
    for (const item of history.items) {
      const to = item.toString ?? null;
      switch (item.fieldId ?? item.field) {
        case 'summary': out.title = to ?? ''; break;
        case 'description': if (!m.cloud) out.description = readText(m, to); break;
        case 'priority': out.priority = to; break;
        case 'assignee': out.assignee = item.to ?? null; break;
        case 'status': out.status = to ?? ''; break;
        case 'labels': out.labels = [...new Set((to ?? '').split(' ').filter(Boolean).map((l) => renames[l] ?? l))].sort(); break;
        default: {
          const field = m.customFields.find((f) => f.id === item.fieldId);
          if (field && item.fieldtype === 'custom') custom[field.name] = to;
        }
      }
    }
  }
  const wroteCustom = Object.keys(wrote.customFields ?? {}).filter((name) => name in custom);
  const picked = Object.fromEntries(Object.entries(out).filter(([field]) => field in wrote)) as Partial<ItemFields>;
  return wroteCustom.length ? { ...picked, customFields: Object.fromEntries(wroteCustom.map((n) => [n, custom[n] ?? null])) } : picked;
}
