import type { z } from 'zod';
import { isRemoteError } from '../errors';
import type { ConnectorContext, Json } from '../types';
import type { JiraConfig, JiraSecrets } from './config';
import {
  attachmentShape, cloudIdsShape, cloudSearchShape, commentPageShape, commentShape, createdShape, fieldShape, issueShape, offsetIdsShape, offsetSearchShape,
  projectPageShape, projectShape, transitionsShape, userShape, type JiraIssue,
} from './shapes';

export const PAGE_SIZE = 100;
/** Id-only search pages: Cloud's enhanced search returns up to 5,000 when only ids are asked for; Data Center caps pages at 1,000. */
const CLOUD_ID_PAGE = 5000;
const DC_ID_PAGE = 1000;
/** The entity property that carries the I1 marker: invisible to users, searchable by JQL. */
export const MARKER_PROPERTY = 'trackbridge';
/** System fields the connector maps; custom fields are added by id. */
const SYSTEM_FIELDS = ['summary', 'description', 'status', 'priority', 'assignee', 'labels', 'issuetype', 'created', 'updated'];

export interface SearchPage { issues: JiraIssue[]; hasNext: boolean; total?: number }

/** Jira's error JSON: { errorMessages: [...], errors: { field: message } }. */
export function describeJiraError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { errorMessages, errors } = body as { errorMessages?: unknown; errors?: unknown };
  const parts = Array.isArray(errorMessages) ? errorMessages.map(String) : [];
  if (typeof errors === 'object' && errors !== null) parts.push(...Object.entries(errors).map(([field, message]) => `${field}: ${String(message)}`));
  return parts.length ? parts.join('; ') : undefined;
}

/** Typed Jira REST calls (v3 on Cloud, v2 on Data Center); everything HTTP (errors, retries, pacing) lives in ../http. */
export function createJiraApi(ctx: ConnectorContext<JiraConfig, JiraSecrets>) {
  const { http, config } = ctx;
  const cloud = config.deployment === 'cloud';
  const api = `/rest/api/${cloud ? 3 : 2}`;
  const issuePath = (id: string) => `${api}/issue/${encodeURIComponent(id)}`;
  /** Cloud's search pages are reached only through the previous page's token: remembered per query. */
  const tokens = new Map<string, string>();
  let fields: Promise<Array<z.infer<typeof fieldShape>>> | undefined;

  /** GET /field, once per client: custom fields are addressed by name in the hub, by id in Jira. */
  const allFields = () => (fields ??= http.json({ path: `${api}/field` }, fieldShape.array()).catch((error: unknown) => {
    fields = undefined;
    throw error;
  }));
  const customFields = async () => (await allFields()).filter((f) => f.custom === true || f.id.startsWith('customfield_'));
  const fieldList = async () => [...SYSTEM_FIELDS, ...(await customFields()).map((f) => f.id)].join(',');

  /** One page of a JQL search: Cloud's /search/jql by nextPageToken, Data Center's /search by startAt. */
  async function search(jql: string, page: number, opts: { max?: number; properties?: string } = {}): Promise<SearchPage> {
    const query = { jql, maxResults: opts.max ?? PAGE_SIZE, fields: await fieldList(), properties: opts.properties };
    if (!cloud) {
      const res = await http.json({ path: `${api}/search`, query: { ...query, startAt: page * (opts.max ?? PAGE_SIZE) } }, offsetSearchShape);
      return { issues: res.issues, hasNext: res.startAt + res.issues.length < res.total, total: res.total };
    }
    // A page past the first needs the token of the one before; a resumed pull walks up to it.
    let from = page;
    while (from > 0 && !tokens.has(`${jql}#${from}`)) from--;
    for (let at = from; ; at++) {
      const token = at === 0 ? undefined : tokens.get(`${jql}#${at}`);
      const res = await http.json({ path: `${api}/search/jql`, query: { ...query, nextPageToken: token } }, cloudSearchShape);
      const next = res.nextPageToken ?? null;
      if (next !== null) tokens.set(`${jql}#${at + 1}`, next);
      if (at === page || next === null) return { issues: at === page ? res.issues : [], hasNext: next !== null && res.isLast !== true };
    }
  }

  /**
   * Every issue id the JQL finds, with no fields (`fields=id`), a page at a time. Cloud's enhanced search
   * pages by token and allows 5,000 ids a page; Data Center pages by offset, 1,000 at most.
   */
  async function* searchIds(jql: string): AsyncGenerator<string[]> {
    if (!cloud) {
      for (let startAt = 0; ;) {
        const res = await http.json({ path: `${api}/search`, query: { jql, fields: 'id', maxResults: DC_ID_PAGE, startAt } }, offsetIdsShape);
        yield res.issues.map((i) => i.id);
        startAt += res.issues.length;
        if (res.issues.length === 0 || startAt >= res.total) return;
      }
    }
    for (let token: string | undefined; ;) {
      const res = await http.json({ path: `${api}/search/jql`, query: { jql, fields: 'id', maxResults: CLOUD_ID_PAGE, nextPageToken: token } }, cloudIdsShape);
      yield res.issues.map((i) => i.id);
      token = res.nextPageToken ?? undefined;
      if (token === undefined || res.isLast === true) return;
    }
  }

  return {
    cloud,
    customFields,
    searchIds,
    fieldList,
    search,
    myself: () => http.json({ path: `${api}/myself` }, userShape),
    async projects() {
      if (!cloud) return http.json({ path: `${api}/project` }, projectShape.array());
      const all: Array<z.infer<typeof projectShape>> = [];
      for (let startAt = 0; ;) {
        const page = await http.json({ path: `${api}/project/search`, query: { startAt, maxResults: 50 } }, projectPageShape);
        all.push(...page.values);
        if (page.isLast !== false || page.values.length === 0) return all;
        startAt += page.values.length;
      }
    },
    /** null when the issue does not exist (or is not visible). */
    async getIssue(id: string, properties?: string): Promise<JiraIssue | null> {
      try {
        return await http.json({ path: issuePath(id), query: { fields: await fieldList(), properties } }, issueShape);
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return null;
        throw error;
      }
    },
    createIssue: (body: Record<string, Json>) => http.json({ method: 'POST', path: `${api}/issue`, body }, createdShape),
    /** Writes to one issue spend that issue's budget: Jira Cloud limits writes per issue. */
    editIssue: (id: string, fields: Record<string, Json>) =>
      http.json<null>({ method: 'PUT', path: issuePath(id), body: { fields }, budget: `issue:${id}` }),
    deleteIssue: (id: string) => http.json<null>({ method: 'DELETE', path: issuePath(id), budget: `issue:${id}` }),
    transitions: (id: string) => http.json({ path: `${issuePath(id)}/transitions`, query: { expand: 'transitions.fields' } }, transitionsShape),
    transition: (id: string, transitionId: string) =>
      http.json<null>({ method: 'POST', path: `${issuePath(id)}/transitions`, body: { transition: { id: transitionId } }, budget: `issue:${id}` }),
    async comments(id: string) {
      const all: Array<z.infer<typeof commentShape>> = [];
      for (let startAt = 0; ;) {
        const page = await http.json({ path: `${issuePath(id)}/comment`, query: { startAt, maxResults: PAGE_SIZE, orderBy: 'created' } }, commentPageShape);
        all.push(...page.comments);
        startAt += page.comments.length;
        if (page.comments.length === 0 || startAt >= page.total) return all;
      }
    },
    addComment: (id: string, body: Json) =>
      http.json({ method: 'POST', path: `${issuePath(id)}/comment`, body: { body }, budget: `issue:${id}` }, commentShape),
    updateComment: (id: string, commentId: string, body: Json) =>
      http.json({ method: 'PUT', path: `${issuePath(id)}/comment/${encodeURIComponent(commentId)}`, body: { body }, budget: `issue:${id}` }, commentShape),
    attachments: async (id: string) =>
      (await http.json({ path: issuePath(id), query: { fields: 'attachment' } }, issueShape.pick({ id: true }).extend({ fields: issueShape.shape.fields.pick({}).extend({ attachment: attachmentShape.array().optional() }) }))).fields.attachment ?? [],
    /** Multipart upload; Jira refuses it as a CSRF attempt without `X-Atlassian-Token: no-check`. */
    upload(id: string, file: { name: string; contentType: string; data: Uint8Array }) {
      const boundary = `trackbridge-${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
      const name = file.name.replace(/["\r\n\\]/g, '_');
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${file.contentType}\r\n\r\n`);
      const data = Buffer.concat([head, Buffer.from(file.data), Buffer.from(`\r\n--${boundary}--\r\n`)]);
      return http.json({
        method: 'POST', path: `${issuePath(id)}/attachments`, raw: { data, contentType: `multipart/form-data; boundary=${boundary}` },
        headers: { 'x-atlassian-token': 'no-check' }, budget: `issue:${id}`,
      }, attachmentShape.array());
    },
    download: (attachmentId: string) => http.bytes({ path: `${api}/attachment/content/${encodeURIComponent(attachmentId)}`, headers: { accept: '*/*' } }),
  };
}

export type JiraApi = ReturnType<typeof createJiraApi>;
