import { fromRedmine, toRedmine } from '../../markup';
import { ConflictError, PermanentError, isRemoteError } from '../errors';
import { defineConnector } from '../define';
import { pullIncremental } from '../http';
import { appendMarker, hasMarker } from '../marker';
import type { AttachmentStore, CommentWriter, ConnectorContext, Reader, RemoteAttachment, RemoteComment, RemoteItem, ScopeGroup, Writer } from '../types';
import { PAGE_SIZE, type RedmineApi, createRedmineApi, describeRedmineError } from './client';
import { type RedmineConfig, type RedmineSecrets, configSchema, secretsSchema } from './config';
import { type RedmineIssue, type RedmineText, toRemoteAttachment, toRemoteComments, toRemoteItem } from './mapping';
import { idByName, toIssueBody } from './resolve';
import { redmineEditsSince } from './history';
import { redmineMetadata } from './metadata';
import { withWarnings } from '../remote-item';

const TOP_LEVEL = '(top level)';

type Ctx = ConnectorContext<RedmineConfig, RedmineSecrets>;
type Session = ReturnType<typeof session>;

/** The typed API and the reads every capability shares. */
function session(ctx: Ctx) {
  const api: RedmineApi = createRedmineApi(ctx);
  const baseUrl = ctx.http.baseUrl;
  const format = ctx.config.textFormatting;
  const markup: RedmineText = { format, users: ctx.binding?.users ?? [] };

  /** Maps issues, looking statuses up only when the JSON lacks is_closed (Redmine before 4.2). */
  async function toItems(issues: RedmineIssue[]): Promise<RemoteItem[]> {
    const closedIds = issues.some((issue) => issue.status.is_closed === undefined)
      ? new Set((await api.statuses()).filter((s) => s.is_closed).map((s) => s.id))
      : new Set<number>();
    return issues.map((issue) => toRemoteItem(issue, baseUrl, (id) => closedIds.has(id), markup));
  }

  async function readItem(remoteId: string): Promise<RemoteItem> {
    const issue = await api.getIssue(remoteId);
    if (!issue) throw new PermanentError(`Redmine issue #${remoteId} no longer exists`, 404);
    const [item] = await toItems([issue]);
    return item as RemoteItem;
  }

  async function comments(remoteId: string): Promise<RemoteComment[]> {
    const issue = await api.getIssue(remoteId, 'journals');
    if (!issue) throw new PermanentError(`Redmine issue #${remoteId} no longer exists`, 404);
    return toRemoteComments(issue.journals ?? [], markup);
  }

  async function attachments(remoteId: string): Promise<RemoteAttachment[]> {
    const issue = await api.getIssue(remoteId, 'attachments');
    if (!issue) throw new PermanentError(`Redmine issue #${remoteId} no longer exists`, 404);
    return (issue.attachments ?? []).map(toRemoteAttachment);
  }

  /** Hub markup → the instance's formatting, for descriptions and notes on their way out. */
  const toText = (md: string): string => toRedmine(md, format, markup);
  /** What a text sent now reads back as: the note to look for after adding it. */
  const echoOf = (md: string): string => fromRedmine(toText(md), format, markup);

  return { api, baseUrl, markup, toText, echoOf, toItems, readItem, comments, attachments };
}

function reader({ api, baseUrl, toItems, comments }: Session, ctx: Ctx): Reader {
  return {
    async testConnection() {
      try {
        const { user } = await api.currentUser();
        return { ok: true, account: user.login, message: `Authenticated to ${baseUrl} as ${user.login}` };
      } catch (error) {
        if (isRemoteError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listScopes() {
      const groups = new Map<string, ScopeGroup>();
      for (const project of await api.listProjects()) {
        const name = project.parent?.name ?? TOP_LEVEL;
        const group = groups.get(name) ?? { group: name, scopes: [] };
        group.scopes.push({ id: project.identifier, name: project.name, url: `${baseUrl}/projects/${project.identifier}` });
        groups.set(name, group);
      }
      return [...groups.values()].sort((a, b) => (a.group === TOP_LEVEL ? -1 : b.group === TOP_LEVEL ? 1 : a.group.localeCompare(b.group)));
    },

    pull(scope, cursor) {
      const fetchFrom = async ({ since, offset, ifNoneMatch }: { since: string | null; offset: number; ifNoneMatch: string | null }) => {
        const res = await api.listIssuesPage({ project: scope, since, offset, ifNoneMatch });
        if (res.notModified) return { notModified: true as const };
        const { issues, total_count: total } = res.data;
        return { notModified: false as const, items: issues, hasNext: offset + issues.length < total, etag: res.etag, total };
      };
      return pullIncremental<RedmineIssue>({
        // Redmine starts a page at any offset: pages follow each other by offset, each starting with the
        // item that ended the last, checked (a bulk import's equal seconds no longer make pages overlap).
        fetchFrom,
        fetchPage: ({ since, page, ifNoneMatch }) => fetchFrom({ since, offset: page * PAGE_SIZE, ifNoneMatch }),
        id: (issue) => String(issue.id),
        updatedAt: (issue) => issue.updated_on,
        toItems,
        overlapMs: ctx.config.overlapSeconds * 1000,
        sinceSlackMs: 1000,
        onInvalidCursor: (bad) => ctx.logger.warn({ scope, cursor: bad }, 'Redmine: unreadable pull cursor, starting a full listing'),
        label: `Redmine issues of ${scope}`,
      }, cursor);
    },

    async getItem(scope, remoteId) {
      // Only the scope's own issues: an id of another project's issue (a poke, a moved issue) is not this binding's.
      const issue = await api.issueInProject(scope, remoteId);
      return issue ? ((await toItems([issue]))[0] ?? null) : null;
    },

    async listComments(_scope, remoteId, since) {
      const all = await comments(remoteId);
      return since === undefined ? all : all.filter((c) => Date.parse(c.createdAt) >= Date.parse(since));
    },

    metadata: (scope) => redmineMetadata(api, ctx.http, scope),

  };
}

function writer({ api, markup, toText, toItems, readItem }: Session, ctx: Ctx): Writer {
  return {
    async createItem(scope, { fields, marker }) {
      const warnings: string[] = [];
      const body = await toIssueBody(api, scope, { ...fields, description: appendMarker(toText(fields.description), marker) }, null, warnings);
      body.project_id = scope;
      if (ctx.config.trackerName) body.tracker_id = idByName(await api.trackers(), ctx.config.trackerName, 'tracker', scope);
      const created = await api.createIssue(body);
      const remoteId = String(created.id);
      // A new issue's status is whatever the workflow allows for "new issue" (often only the
      // tracker's default), and Redmine ignores any other silently: move it in a second step.
      if (typeof body.status_id === 'number' && created.status.id !== body.status_id) {
        await api.updateIssue(remoteId, { status_id: body.status_id });
      }
      const item = await readItem(remoteId);
      if (typeof body.status_id === 'number' && (item.raw as unknown as RedmineIssue).status.id !== body.status_id) {
        ctx.logger.warn({ scope, remoteId, status: fields.status }, 'Redmine: the workflow kept the new issue in its default status');
      }
      return withWarnings(item, warnings);
    },

    /**
     * Redmine's REST API has a `description` filter ("~" = contains), so the marker is found by one
     * query, consistent with the database (no search index lag as on GitHub).
     */
    async findByMarker(scope, marker) {
      const { issues } = await api.searchDescription(scope, marker);
      const issue = issues.find((candidate) => hasMarker(candidate.description, marker));
      return issue ? ((await toItems([issue]))[0] ?? null) : null;
    },

    async updateItem(scope, remoteId, changes, version) {
      const needsCurrent = version !== undefined || changes.customFields !== undefined || (changes.closed !== undefined && changes.status === undefined);
      const current = needsCurrent ? await api.getIssue(remoteId) : null;
      if (needsCurrent && !current) throw new PermanentError(`Redmine issue #${remoteId} no longer exists`, 404);
      // Redmine 5 accepts lock_version on PUT but never shows it, so updated_on is the check:
      // the race narrows to one round trip instead of disappearing.
      if (version !== undefined && current && current.updated_on !== version) {
        throw new ConflictError(`Redmine issue #${remoteId} changed at ${current.updated_on}, expected ${version}`);
      }
      const remoteChanges = changes.description === undefined ? changes : { ...changes, description: toText(changes.description) };
      const warnings: string[] = [];
      const body = await toIssueBody(api, scope, remoteChanges, current, warnings);
      if (Object.keys(body).length > 0) await api.updateIssue(remoteId, body);
      const after = await readItem(remoteId);
      // Redmine silently ignores a status its workflow does not allow for this user and tracker.
      const raw = after.raw as unknown as RedmineIssue;
      if (typeof body.status_id === 'number' && raw.status.id !== body.status_id) {
        throw new PermanentError(`Redmine issue #${remoteId}: the workflow does not allow moving from "${raw.status.name}" to status id ${body.status_id}`);
      }
      return withWarnings(after, warnings);
    },

    editsSince: (scope, remoteId, read, wrote) => redmineEditsSince(api, scope, remoteId, read, wrote, markup),

    async deleteItem(_scope, remoteId) {
      try {
        await api.deleteIssue(remoteId);
      } catch (error) {
        if (!(isRemoteError(error) && error.status === 404)) throw error; // already gone: done
      }
    },

  };
}

function commentWriter({ api, toText, echoOf, comments }: Session): CommentWriter {
  return {
    async addComment(_scope, remoteId, body) {
      await api.updateIssue(remoteId, { notes: toText(body) });
      const text = echoOf(body);
      const added = (await comments(remoteId)).filter((c) => c.body === text).at(-1);
      if (!added) throw new PermanentError(`Redmine issue #${remoteId}: the note was sent but is not visible (private or filtered?)`);
      return added;
    },

    async updateComment(_scope, remoteId, commentId, body) {
      try {
        await api.updateJournal(commentId, toText(body));
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) {
          throw new PermanentError(`Redmine journal ${commentId} not found, or this Redmine (before 5.0) cannot edit notes through the API`, 404);
        }
        throw error;
      }
      const updated = (await comments(remoteId)).find((c) => c.remoteId === commentId);
      if (!updated) throw new PermanentError(`Redmine journal ${commentId} is not on issue #${remoteId}`, 404);
      return updated;
    },
  };
}

function attachmentStore({ api, attachments }: Session): AttachmentStore {
  return {
    listAttachments: (_scope, remoteId) => attachments(remoteId),

    downloadAttachment: (_scope, attachment) => api.download(attachment.remoteId, attachment.name),

    /** Redmine's two steps: upload the bytes for a token, then attach the token to the issue. */
    async addAttachment(_scope, remoteId, file) {
      const { token } = await api.upload(file.name, file.data);
      await api.updateIssue(remoteId, { uploads: [{ token, filename: file.name, content_type: file.contentType }] });
      const added = (await attachments(remoteId)).filter((a) => a.name === file.name && a.size === file.data.byteLength).at(-1);
      if (!added) throw new PermanentError(`Redmine issue #${remoteId}: ${file.name} was uploaded but is not attached`);
      return added;
    },

  };
}

export const redmine = defineConnector({
  slug: 'redmine',
  name: 'Redmine',
  description: 'Issues of a Redmine project (REST API, Redmine 4.2 or later; editing notes needs 5.0). '
    + 'Needs the REST web service enabled (Administration → Settings → API) and a user API key. '
    + 'Subprojects are separate scopes. Private notes are not synced.',
  logoUrl: 'https://www.redmine.org/favicon.ico',
  configSchema,
  secretsSchema,
  fields: ['title', 'description', 'status', 'priority', 'assignee', 'customFields'],
  conditionalRequests: true,
  http: {
    service: 'Redmine',
    auth: { header: 'x-redmine-api-key', value: (secrets) => secrets.apiKey },
    describeError: describeRedmineError,
  },
  session,
  reader,
  writer,
  comments: commentWriter,
  attachments: attachmentStore,
});
