import type { z } from 'zod';
import { isRemoteError } from '../errors';
import { ITEM_FIELDS } from '../fields';
import type { ConnectorContext, Json } from '../types';
import type { JiraConfig, JiraSecrets } from './config';
import {
  attachmentShape, changelogPageShape, expandedChangelogShape, type JiraHistory, cloudIdsShape, cloudSearchShape, cloudSummariesShape, offsetSummariesShape, type SearchShapes, commentPageShape, commentShape, createdShape, fieldShape, issueShape, offsetIdsShape, offsetSearchShape, propertyShape,
  projectPageShape, projectShape, transitionsShape, userShape, type JiraIssue,
} from './shapes';

export const PAGE_SIZE = 100;
/** Id-only search pages: Cloud's enhanced search returns up to 5,000 when only ids are asked for; Data Center caps pages at 1,000. */
const CLOUD_ID_PAGE = 5000;
const DC_ID_PAGE = 1000;
/** The entity property that carries the I1 marker: invisible to users, readable by key (not searchable: docs/connectors/jira.md). */
export const MARKER_PROPERTY = 'trackbridge';
/** System fields the connector maps; custom fields are added by id. */
const SYSTEM_FIELDS = ['summary', 'description', 'status', 'priority', 'assignee', 'labels', 'issuetype', 'created', 'updated'];

export interface SearchPage { issues: JiraIssue[]; hasNext: boolean; total?: number }

/**
 * The Jira fields a binding's rules use beyond the system fields every read asks for: custom fields by
 * name (`customFields.Team`), or any field a remote path names (`fields.customfield_10010`,
 * `/fields/components`). Every custom field where a rule takes the whole map or a path names no field.
 * Jira "may return fewer items per page" when many fields are asked for, so a search asks for no more.
 */
export function fieldsUsed(used: readonly string[], custom: ReadonlyArray<{ id: string; name: string }>): string[] | 'all' {
  const out: string[] = [];
  for (const ref of used) {
    if (ref === 'customFields') return 'all';
    const named = /^customFields\.(.+)$/.exec(ref)?.[1];
    if (named !== undefined) {
      const field = custom.find((f) => f.name === named);
      if (field) out.push(field.id);
      continue;
    }
    if ((ITEM_FIELDS as readonly string[]).includes(ref)) continue;
    // A path into the issue JSON: the field it names under `fields`, or nothing if it reads outside them (key, id).
    const path = ref.startsWith('/') ? ref.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')) : ref.split('.');
    if (path[0] !== 'fields') continue;
    if (path[1] === undefined || path[1] === '') return 'all';
    out.push(path[1]);
  }
  return out;
}

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
  let fieldListing: Promise<string> | undefined;
  /** The `fields` every issue read asks for: the system fields mapped, and the custom fields the binding uses. */
  const fieldList = () => (fieldListing ??= readFields(ctx.binding?.fields).catch((error: unknown) => {
    fieldListing = undefined;
    throw error;
  }));
  async function readFields(used: readonly string[] | undefined): Promise<string> {
    const custom = await customFields();
    const wanted = used === undefined ? 'all' : fieldsUsed(used, custom);
    return [...new Set([...SYSTEM_FIELDS, ...(wanted === 'all' ? custom.map((f) => f.id) : wanted)])].join(',');
  }

  /** One page of a JQL search: Cloud's /search/jql by nextPageToken, Data Center's /search by startAt. */
  async function searchWith<T>(jql: string, page: number, opts: { max?: number; properties?: string | undefined; fields: string }, shapes: SearchShapes<T>): Promise<{ issues: T[]; hasNext: boolean; total?: number }> {
    const query = { jql, maxResults: opts.max ?? PAGE_SIZE, fields: opts.fields, properties: opts.properties };
    if (!cloud) {
      const res = await http.json({ path: `${api}/search`, query: { ...query, startAt: page * (opts.max ?? PAGE_SIZE) } }, shapes.offset);
      return { issues: res.issues, hasNext: res.startAt + res.issues.length < res.total, total: res.total };
    }
    // A page past the first needs the token of the one before; a resumed pull walks up to it.
    const tokenKey = (at: number) => `${opts.fields}|${jql}#${at}`;
    let from = page;
    while (from > 0 && !tokens.has(tokenKey(from))) from--;
    for (let at = from; ; at++) {
      const token = at === 0 ? undefined : tokens.get(tokenKey(at));
      const res = await http.json({ path: `${api}/search/jql`, query: { ...query, nextPageToken: token } }, shapes.cloud);
      const next = res.nextPageToken ?? null;
      if (next !== null) tokens.set(tokenKey(at + 1), next);
      if (at === page || next === null) return { issues: at === page ? res.issues : [], hasNext: next !== null && res.isLast !== true };
    }
  }

  /** Issues with every field the connector maps, and the marker property (it holds the label renames). */
  const search = async (jql: string, page: number, opts: { max?: number } = {}): Promise<SearchPage> =>
    searchWith(jql, page, { ...opts, fields: await fieldList(), properties: MARKER_PROPERTY }, { cloud: cloudSearchShape, offset: offsetSearchShape });
  /** Issues with their key and summary only. */
  const searchSummaries = (jql: string, page: number, opts: { max?: number } = {}) =>
    searchWith(jql, page, { ...opts, fields: 'summary' }, { cloud: cloudSummariesShape, offset: offsetSummariesShape });

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
    searchSummaries,
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
    /** null when the issue does not exist (or is not visible). The marker property comes along: it holds the label renames. */
    async getIssue(id: string, properties = MARKER_PROPERTY): Promise<JiraIssue | null> {
      try {
        return await http.json({ path: issuePath(id), query: { fields: await fieldList(), properties } }, issueShape);
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return null;
        throw error;
      }
    },
    /** An issue's id and the properties asked for, with no fields; null when there is no such issue. */
    async issueProperties(id: string, properties: string) {
      try {
        return await http.json({ path: issuePath(id), query: { fields: 'summary', properties } }, issueShape.pick({ id: true, key: true, properties: true }));
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return null;
        throw error;
      }
    },
    /** An entity property's value read by key (consistent, unlike search); undefined when the issue has none. */
    async property(id: string, key: string): Promise<unknown> {
      try {
        return (await http.json({ path: `${issuePath(id)}/properties/${encodeURIComponent(key)}` }, propertyShape)).value;
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return undefined;
        throw error;
      }
    },
    setProperty: (id: string, key: string, value: Json) =>
      http.json<null>({ method: 'PUT', path: `${issuePath(id)}/properties/${encodeURIComponent(key)}`, body: value, budget: `issue:${id}` }),
    createIssue: (body: Record<string, Json>) => http.json({ method: 'POST', path: `${api}/issue`, body }, createdShape),
    /** Writes to one issue spend that issue's budget: Jira Cloud limits writes per issue. */
    /** `notify: false` asks Jira not to email watchers (notifyUsers=false): only administrators may. */
    editIssue: (id: string, fields: Record<string, Json>, notify = true) =>
      http.json<null>({ method: 'PUT', path: issuePath(id), body: { fields }, budget: `issue:${id}`, ...(notify ? {} : { query: { notifyUsers: 'false' } }) }),
    /** Every change of the issue's fields, oldest first. */
    async changelog(id: string): Promise<JiraHistory[]> {
      if (!cloud) return (await http.json({ path: issuePath(id), query: { fields: 'summary', expand: 'changelog' } }, expandedChangelogShape)).changelog.histories;
      const all: JiraHistory[] = [];
      for (let startAt = 0; ;) {
        const page = await http.json({ path: `${issuePath(id)}/changelog`, query: { startAt, maxResults: PAGE_SIZE } }, changelogPageShape);
        all.push(...page.values);
        startAt += page.values.length;
        if (page.values.length === 0 || page.isLast === true || (page.total !== undefined && startAt >= page.total)) return all;
      }
    },
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
