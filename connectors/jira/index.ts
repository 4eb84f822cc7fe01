import { createHash } from 'node:crypto';
import { ConflictError, PermanentError, isPermanentError, isRemoteError } from '../errors';
import { defineConnector } from '../define';
import { pullIncremental } from '../http';
import type { AttachmentStore, CommentWriter, ConnectorContext, Json, Reader, RemoteItem, ScopeGroup, Writer } from '../types';
import { MARKER_PROPERTY, createJiraApi, describeJiraError, type JiraApi } from './client';
import { type JiraBindingOptions, type JiraConfig, type JiraSecrets, authorization, bindingOptionsSchema, configSchema, connectionSchema, secretsSchema } from './config';
import { type MappingContext, type TrackbridgeProperty, propertyOf, remoteLabels, toIssueFields, toRemoteAttachment, toRemoteComment, toRemoteItem, userRef, writeText } from './mapping';
import type { JiraIssue, JiraUser } from './shapes';
import { jiraMetadata } from './metadata';
import { createScreens, fitToScreen } from './screens';
import { findMarked } from './adoption';
import { jiraEditsSince } from './history';
import { moveStatus } from './transitions';
import { jiraWebhooks } from './webhooks';
import { withWarnings } from '../remote-item';

type Ctx = ConnectorContext<JiraConfig, JiraSecrets, JiraBindingOptions>;
type Session = ReturnType<typeof session>;

/** A project key as JQL takes it, quoted: keys are [A-Z][A-Z0-9_]+, anything else is a misconfigured binding. */
function projectClause(scope: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,254}$/.test(scope)) throw new PermanentError(`Jira scope must be a project key, got ${JSON.stringify(scope)}`);
  return `project = "${scope}"`;
}

function session(ctx: Ctx) {
  const checked = connectionSchema.safeParse({ deployment: ctx.config.deployment, secrets: ctx.secrets });
  if (!checked.success) throw new PermanentError(`Jira connection: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const api: JiraApi = createJiraApi(ctx);
  const screens = createScreens(ctx.http, `/rest/api/${api.cloud ? 3 : 2}`);
  const mapping = async (): Promise<MappingContext> => ({
    cloud: api.cloud,
    baseUrl: ctx.http.baseUrl,
    customFields: await api.customFields(),
    labelSpaces: ctx.binding?.options.labelSpaces ?? ctx.config.labelSpaces,
    users: ctx.binding?.users ?? [],
  });
  const toItems = async (issues: JiraIssue[]): Promise<RemoteItem[]> => {
    const m = await mapping();
    return issues.map((issue) => toRemoteItem(m, issue));
  };
  async function readItem(remoteId: string): Promise<RemoteItem> {
    const issue = await api.getIssue(remoteId);
    if (!issue) throw new PermanentError(`Jira issue ${remoteId} no longer exists`, 404);
    return toRemoteItem(await mapping(), issue);
  }
  return { api, screens, mapping, toItems, readItem };
}

/**
 * Accounts (site and credential) Jira refused notifyUsers=false for, with when: for an hour their edits go
 * without it (one request each, not two), then it is tried again, in case an admin has granted it since.
 */
const refusedQuiet = new Map<string, number>();
const QUIET_RETRY_MS = 3_600_000;

function reader({ api, mapping, toItems }: Session, ctx: Ctx): Reader {
  return {
    async testConnection() {
      try {
        const me = await api.myself();
        const who = me.displayName ?? me.accountId ?? me.name ?? 'unknown';
        return { ok: true, account: who, message: `Authenticated to ${ctx.config.baseUrl} (${ctx.config.deployment}) as ${who}` };
      } catch (error) {
        if (isRemoteError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listScopes() {
      const groups = new Map<string, ScopeGroup>();
      for (const project of await api.projects()) {
        const name = project.projectCategory?.name ?? 'Projects';
        const group = groups.get(name) ?? { group: name, scopes: [] };
        group.scopes.push({ id: project.key, name: project.name, url: `${ctx.http.baseUrl}/browse/${project.key}` });
        groups.set(name, group);
      }
      return [...groups.values()].sort((a, b) => a.group.localeCompare(b.group));
    },

    async metadata(scope) {
      projectClause(scope);
      return jiraMetadata(api, ctx.http, await mapping(), scope);
    },

    /**
     * JQL by `updated >= <epoch ms>` (a date literal would be read in the user's time zone, to the minute),
     * oldest first. The watermark comes from the `updated` of what search returned, never from a clock:
     * search lags writes, and an item it has not shown yet is still ahead of the watermark's overlap.
     */
    pull(scope, cursor) {
      const project = projectClause(scope);
      return pullIncremental<JiraIssue>({
        async fetchPage({ since, page }) {
          const jql = `${project}${since === null ? '' : ` AND updated >= ${Date.parse(since)}`} ORDER BY updated ASC, key ASC`;
          const res = await api.search(jql, page);
          return { notModified: false, items: res.issues, hasNext: res.hasNext, etag: null, ...(res.total === undefined ? {} : { total: res.total }) };
        },
        id: (issue) => issue.id,
        updatedAt: (issue) => new Date(Date.parse(issue.fields.updated.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))).toISOString(),
        toItems,
        overlapMs: ctx.config.overlapSeconds * 1000,
        onInvalidCursor: (bad) => ctx.logger.warn({ scope, cursor: bad }, 'Jira: unreadable pull cursor, starting a full listing'),
        label: `Jira issues of ${scope}`,
      }, cursor);
    },

    /** The deletion sweep: ids only, in key order so offset pages stay put while issues are added. */
    listIds(scope) {
      return api.searchIds(`${projectClause(scope)} ORDER BY key ASC`);
    },

    async getItem(_scope, remoteId) {
      const issue = await api.getIssue(remoteId);
      return issue ? toRemoteItem(await mapping(), issue) : null;
    },

    async listComments(_scope, remoteId, since) {
      const m = await mapping();
      const all = (await api.comments(remoteId)).map((c) => toRemoteComment(m, c));
      return since === undefined ? all : all.filter((c) => Date.parse(c.updatedAt) >= Date.parse(since));
    },
  };
}

function writer({ api, screens, mapping, readItem }: Session, ctx: Ctx): Writer {
  let myself: Promise<JiraUser> | undefined;
  const me = () => (myself ??= api.myself());
  const account = `${ctx.config.baseUrl}#${createHash('sha256').update(authorization(ctx.secrets)).digest('hex').slice(0, 16)}`;
  /** An edit that does not email watchers where the user may ask for that; else (once refused) an ordinary edit, with a warning. */
  async function edit(remoteId: string, fields: Record<string, Json>): Promise<string[]> {
    if (!ctx.config.notifyWatchers && !(Date.now() - (refusedQuiet.get(account) ?? -Infinity) < QUIET_RETRY_MS)) {
      try {
        await api.editIssue(remoteId, fields, false);
        return [];
      } catch (error) {
        if (!(isRemoteError(error) && (error.status === 403 || error.status === 400) && /notif/i.test(error.message))) throw error;
        refusedQuiet.set(account, Date.now());
        ctx.logger.warn({ remoteId, error: error.message }, 'Jira: notifyUsers=false refused; edits will notify watchers');
        await api.editIssue(remoteId, fields);
        return ["Jira refused notifyUsers=false (it needs the Administer Projects permission): trackbridge's edits email the issues' watchers"];
      }
    }
    await api.editIssue(remoteId, fields);
    return [];
  }
  return {
    /** The marker rides in the create itself, as an entity property: one request, nothing a user sees. */
    async createItem(scope, { fields, marker }) {
      const m = await mapping();
      const unknown: string[] = [];
      const wanted: Record<string, Json> = {
        ...toIssueFields(m, { title: fields.title, description: fields.description, labels: fields.labels, customFields: fields.customFields }, unknown),
        ...(fields.priority === null ? {} : { priority: { name: fields.priority } }),
        ...(fields.assignee === null ? {} : { assignee: userRef(m, fields.assignee) }),
      };
      if (wanted.description === null) delete wanted.description;
      if (Array.isArray(wanted.labels) && wanted.labels.length === 0) delete wanted.labels;
      const { issueType } = ctx.config;
      const fitted = fitToScreen(m, wanted, await screens.create(scope, issueType), { kind: 'create', issueType, project: scope });
      const issueFields: Record<string, Json> = { project: { key: scope }, issuetype: { name: issueType }, ...fitted.fields };
      const { renamed, warnings: renames } = remoteLabels(m, fields.labels);
      const warnings = [...renames, ...unknown, ...fitted.warnings];
      const property: TrackbridgeProperty = { marker, ...(Object.keys(renamed).length ? { labels: renamed } : {}) };
      const body = { fields: issueFields, properties: [{ key: MARKER_PROPERTY, value: property as Json }] };
      const created = await api.createIssue(body);
      const issue = await api.getIssue(created.id);
      if (!issue) throw new PermanentError(`Jira issue ${created.key} vanished right after its create`, 404);
      // The issue exists from here on: a status the workflow refuses must not fail the create, or the
      // create would be retried as a dead letter while its issue comes back on the next pull as a new
      // story (I1). As on Redmine, the issue stays in its initial status and the refusal is logged.
      try {
        if (await moveStatus(api, issue, { status: fields.status, closed: fields.closed })) return withWarnings(await readItem(created.id), warnings);
      } catch (error) {
        if (!isPermanentError(error)) throw error;
        ctx.logger.warn({ scope, remoteId: created.id, key: created.key, status: fields.status, error: error.message }, 'Jira: the workflow kept the new issue in its initial status');
      }
      return withWarnings(toRemoteItem(m, issue), warnings);
    },

    /** The marker is read by key, never searched (docs/connectors/jira.md, I1); see ./adoption. */
    async findByMarker(scope, marker, hint) {
      const found = await findMarked(api, scope, projectClause(scope), marker, hint, ctx.config.searchLagSeconds * 1000);
      return found ? readItem(found) : null;
    },

    async updateItem(_scope, remoteId, changes, version) {
      const current = await api.getIssue(remoteId);
      if (!current) throw new PermanentError(`Jira issue ${remoteId} no longer exists`, 404);
      // Jira has no conditional edit; comparing `updated` first narrows the race to one round trip.
      if (version !== undefined && current.fields.updated !== version) {
        throw new ConflictError(`Jira issue ${current.key} changed at ${current.fields.updated}, expected ${version}`);
      }
      const m = await mapping();
      const where = { kind: 'edit' as const, project: current.key.replace(/-\d+$/, ''), issueType: current.fields.issuetype?.name ?? ctx.config.issueType };
      const unknown: string[] = [];
      const wanted = toIssueFields(m, changes, unknown);
      const fitted = Object.keys(wanted).length ? fitToScreen(m, wanted, await screens.edit(where.project, where.issueType, remoteId), where) : { fields: wanted, warnings: [] };
      const fields = fitted.fields;
      const { renamed, warnings: renames } = changes.labels ? remoteLabels(m, changes.labels) : { renamed: {}, warnings: [] };
      const warnings = [...renames, ...unknown, ...fitted.warnings];
      // The renames go on the issue before the labels do: a read in between must not show a rename as a remote edit.
      const remembered = propertyOf(current, MARKER_PROPERTY);
      if (Object.entries(renamed).some(([to, from]) => remembered.labels?.[to] !== from)) {
        await api.setProperty(remoteId, MARKER_PROPERTY, { ...remembered, labels: { ...remembered.labels, ...renamed } } as Json);
      }
      if (Object.keys(fields).length > 0) warnings.push(...await edit(remoteId, fields));
      await moveStatus(api, current, changes);
      return withWarnings(await readItem(remoteId), warnings);
    },

    editsSince: async (_scope, remoteId, read, wrote) => jiraEditsSince(api, await mapping(), await me(), remoteId, read, wrote),

    async deleteItem(_scope, remoteId) {
      try {
        await api.deleteIssue(remoteId);
      } catch (error) {
        if (!(isRemoteError(error) && error.status === 404)) throw error; // already gone: done
      }
    },
  };
}

function commentWriter({ api, mapping }: Session): CommentWriter {
  return {
    async addComment(_scope, remoteId, body) {
      const m = await mapping();
      if (body.trim() === '') throw new PermanentError(`Jira refuses an empty comment ("Comment body can not be empty!"): not sent to issue ${remoteId}`);
      return toRemoteComment(m, await api.addComment(remoteId, writeText(m, body)));
    },
    async updateComment(_scope, remoteId, commentId, body) {
      const m = await mapping();
      if (body.trim() === '') throw new PermanentError(`Jira refuses an empty comment ("Comment body can not be empty!"): comment ${commentId} of issue ${remoteId} left as it is`);
      return toRemoteComment(m, await api.updateComment(remoteId, commentId, writeText(m, body)));
    },
  };
}

function attachmentStore({ api, mapping }: Session): AttachmentStore {
  return {
    async listAttachments(_scope, remoteId) {
      const m = await mapping();
      return (await api.attachments(remoteId)).map((a) => toRemoteAttachment(m, a));
    },
    downloadAttachment: (_scope, attachment) => api.download(attachment.remoteId),
    /** A file over the site's limit answers 413: permanent, as any 4xx. */
    async addAttachment(_scope, remoteId, file) {
      const [added] = await api.upload(remoteId, { name: file.name, contentType: file.contentType, data: file.data });
      if (!added) throw new PermanentError(`Jira issue ${remoteId}: ${file.name} was uploaded but is not attached`);
      return toRemoteAttachment(await mapping(), added);
    },
  };
}

export const jira = defineConnector({
  slug: 'jira',
  name: 'Jira',
  description: 'Issues of a Jira project: Jira Cloud (REST v3, email + API token) or Jira Data Center (REST v2, personal access token). '
    + 'Status moves through workflow transitions; a transition whose screen requires fields is refused as a dead letter naming them.',
  logoUrl: 'https://www.atlassian.com/favicon.ico',
  configSchema,
  secretsSchema,
  bindingOptions: bindingOptionsSchema,
  fields: ['title', 'description', 'status', 'priority', 'assignee', 'labels', 'customFields'],
  conditionalRequests: false,
  http: {
    service: 'Jira',
    auth: { header: 'authorization', value: authorization },
    describeError: describeJiraError,
    // Jira's 429 without Retry-After asks for exponential backoff with jitter, not a fixed wait.
    rateLimitBackoff: { baseMs: 1000, maxMs: 30_000 },
  },
  webhooks: jiraWebhooks,
  session,
  reader,
  writer,
  comments: commentWriter,
  attachments: attachmentStore,
});
