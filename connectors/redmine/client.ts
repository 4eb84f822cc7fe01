import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isRemoteError } from '../errors';
import { type HttpResponse, paginateOffset } from '../http';
import type { ConnectorContext, Json } from '../types';
import type { RedmineConfig, RedmineSecrets } from './config';
import type { RedmineIssue } from './mapping';
import { currentUserShape, issueListShape, membershipShape, namedRef, oneIssueShape, projectShape, statusShape } from './shapes';

export type RedmineProject = z.infer<typeof projectShape>;
export type RedmineMembership = z.infer<typeof membershipShape>;
export type IssueList = z.infer<typeof issueListShape>;

export interface IssueListQuery {
  project: string;
  /** Lower bound on updated_on, inclusive, in Redmine's own ISO format. */
  since: string | null;
  offset: number;
  ifNoneMatch?: string | null;
}

export const PAGE_SIZE = 100;

const projectCustomFieldsShape = z.looseObject({
  project: z.looseObject({ issue_custom_fields: z.array(namedRef.extend({ multiple: z.boolean().optional() })).optional() }),
});

/** Redmine's error JSON: { errors: ["Subject cannot be blank", ...] }. */
export function describeRedmineError(body: unknown): string | undefined {
  const errors = typeof body === 'object' && body !== null ? (body as { errors?: unknown }).errors : undefined;
  return Array.isArray(errors) && errors.length > 0 ? errors.join('; ') : undefined;
}

type CurrentUser = z.infer<typeof currentUserShape>;
/** How long the account behind an API key is remembered across clients (each activity builds its own). */
const CURRENT_USER_TTL_MS = 10 * 60_000;
const CURRENT_USER_ENTRIES = 1000;
/**
 * The account behind each API key, by Redmine and a digest of the key (never the key itself): a push
 * asks it after every write to tell its own journals, and asking once per activity made it one of the
 * five requests of every write. A rejected key is not remembered.
 */
const currentUsers = new Map<string, { at: number; user: Promise<CurrentUser> }>();

function rememberedUser(baseUrl: string, apiKey: string, load: () => Promise<CurrentUser>, now = Date.now()): Promise<CurrentUser> {
  const key = `${baseUrl}\n${createHash('sha256').update(apiKey).digest('hex')}`;
  const hit = currentUsers.get(key);
  if (hit && now - hit.at < CURRENT_USER_TTL_MS) return hit.user;
  const user = load();
  currentUsers.delete(key);
  currentUsers.set(key, { at: now, user });
  if (currentUsers.size > CURRENT_USER_ENTRIES) currentUsers.delete(currentUsers.keys().next().value!);
  user.catch(() => {
    if (currentUsers.get(key)?.user === user) currentUsers.delete(key);
  });
  return user;
}

/** Typed Redmine REST calls; everything HTTP (errors, retries, pacing) lives in ../http. */
export function createRedmineApi(ctx: ConnectorContext<RedmineConfig, RedmineSecrets>) {
  const { http } = ctx;
  const project = (id: string) => `/projects/${encodeURIComponent(id)}`;
  const issue = (id: string) => `/issues/${encodeURIComponent(id)}.json`;

  /** Reference lists change rarely: asked once per client (one activity). */
  const once = <T>(load: () => Promise<T>) => {
    let value: Promise<T> | undefined;
    return () => (value ??= load().catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
  };

  async function all<T>(path: string, itemsKey: string, itemShape: z.ZodType<T>): Promise<T[]> {
    const items: T[] = [];
    for await (const page of paginateOffset<T>(http, { path }, { itemsKey, itemShape, limit: PAGE_SIZE })) items.push(...page.items);
    return items;
  }

  return {
    /** The account behind the API key, asked now (a connection test). */
    currentUser: () => http.json({ path: '/users/current.json' }, currentUserShape),
    /** The same, remembered per key for 10 minutes: the push asks it after each write, to tell its own journals (history.ts). */
    account: () => rememberedUser(ctx.config.baseUrl, ctx.secrets.apiKey, () => http.json({ path: '/users/current.json' }, currentUserShape)),
    listProjects: () => all('/projects.json', 'projects', projectShape),
    statuses: once(async () => (await http.json({ path: '/issue_statuses.json' }, z.looseObject({ issue_statuses: z.array(statusShape) }))).issue_statuses),
    priorities: once(async () => (await http.json({ path: '/enumerations/issue_priorities.json' }, z.looseObject({ issue_priorities: z.array(namedRef) }))).issue_priorities),
    trackers: once(async () => (await http.json({ path: '/trackers.json' }, z.looseObject({ trackers: z.array(namedRef) }))).trackers),
    memberships: (projectId: string) => all(`${project(projectId)}/memberships.json`, 'memberships', membershipShape),
    projectCustomFields: async (projectId: string) =>
      (await http.json({
        path: `${project(projectId)}.json`,
        query: { include: 'issue_custom_fields' },
      }, projectCustomFieldsShape)).project.issue_custom_fields ?? [],

    /**
     * One page of a project's issues updated at or after `since`, oldest update first (id breaks ties).
     * Subprojects are excluded: each has its own binding. `updated_on=>=…` is URL-encoded by the client.
     * Redmine compares at whole seconds and in effect returns updated_on > since - 1 s: one more second
     * of overlap, harmless. An issue updated mid-listing jumps to the end, which shifts the unread ones
     * back past a plain offset: pullIncremental starts each page on the last item read and checks it.
     */
    listIssuesPage(q: IssueListQuery): Promise<HttpResponse<IssueList>> {
      return http.send({
        path: '/issues.json',
        query: {
          project_id: q.project,
          subproject_id: '!*',
          status_id: '*',
          sort: 'updated_on,id',
          updated_on: q.since === null ? null : `>=${q.since}`,
          offset: q.offset,
          limit: PAGE_SIZE,
        },
        ifNoneMatch: q.ifNoneMatch ?? null,
      }, issueListShape);
    },
    /** Issues of the project whose description contains `text`, newest first. */
    searchDescription: (projectId: string, text: string) =>
      http.json({
        path: '/issues.json',
        query: { project_id: projectId, subproject_id: '!*', status_id: '*', description: `~${text}`, sort: 'id:desc', limit: PAGE_SIZE },
      }, issueListShape),
    /** The issue when it exists and belongs to the project itself (not a subproject, as in the listing); else null. */
    async issueInProject(projectId: string, id: string): Promise<RedmineIssue | null> {
      if (!/^\d{1,12}$/.test(id)) return null;
      try {
        const { issues } = await http.json({
          path: '/issues.json',
          query: { issue_id: id, project_id: projectId, subproject_id: '!*', status_id: '*', limit: 1 },
        }, issueListShape);
        return issues.find((i) => String(i.id) === id) ?? null;
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return null;
        throw error;
      }
    },
    /** null when the issue does not exist (or was deleted). */
    async getIssue(id: string, include?: string): Promise<RedmineIssue | null> {
      try {
        return (await http.json({ path: issue(id), query: { include } }, oneIssueShape)).issue;
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return null;
        throw error;
      }
    },
    createIssue: async (fields: Record<string, Json>): Promise<RedmineIssue> =>
      (await http.json({ method: 'POST', path: '/issues.json', body: { issue: fields } }, oneIssueShape)).issue,
    /** 204 No Content: Redmine does not send the updated issue back. A PUT with `notes` adds a journal each time: not idempotent. */
    updateIssue: (id: string, fields: Record<string, Json>) =>
      http.json<null>({ method: 'PUT', path: issue(id), body: { issue: fields }, idempotent: !('notes' in fields || 'uploads' in fields) }),
    deleteIssue: (id: string) => http.json<null>({ method: 'DELETE', path: issue(id) }),
    /** Step one of attaching a file: the bytes go to /uploads.json and come back as a token. */
    upload: async (filename: string, data: Uint8Array) =>
      (await http.json({
        method: 'POST', path: '/uploads.json', query: { filename }, raw: { data, contentType: 'application/octet-stream' },
      }, z.looseObject({ upload: z.looseObject({ token: z.string() }) }))).upload,
    download: (attachmentId: string, filename: string) =>
      http.bytes({ path: `/attachments/download/${encodeURIComponent(attachmentId)}/${encodeURIComponent(filename)}`, headers: { accept: '*/*' } }),
    /** PUT /journals/:id.json exists from Redmine 5.0. */
    updateJournal: (journalId: string, notes: string) =>
      http.json<null>({ method: 'PUT', path: `/journals/${encodeURIComponent(journalId)}.json`, body: { journal: { notes } } }),
  };
}

export type RedmineApi = ReturnType<typeof createRedmineApi>;
