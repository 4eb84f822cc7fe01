/** The GitLab Issues connector: built on `@trackbridge/sdk` and nothing of the core, as any third-party connector is. */
import {
  type CommentWriter, type ItemFields, type Reader, type ScopeGroup, type Writer,
  ConflictError, PermanentError, appendMarker, defineConnector, hasMarker, isRemoteError, pullIncremental,
} from '@trackbridge/sdk';
import { type Ctx, type GitLabSession, gitLabSession } from './api.js';
import { bindingOptions, configSchema, secretsSchema } from './config.js';
import { MILESTONE, WEIGHT, states, toIssueWrite, toRemoteComment, toRemoteItem, toWeight } from './mapping.js';
import type { GitLabIssue } from './shapes.js';
import { gitLabWebhooks } from './webhooks.js';

function reader(api: GitLabSession, ctx: Ctx): Reader {
  const item = (scope: string, issue: GitLabIssue) => toRemoteItem(issue, scope, api.text);
  return {
    async testConnection() {
      try {
        const me = await api.me();
        return { ok: true, account: me.username, message: `Authenticated to ${ctx.config.baseUrl} as ${me.username}` };
      } catch (error) {
        if (isRemoteError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listScopes() {
      const groups = new Map<string, ScopeGroup>();
      for (const project of await api.projects()) {
        const owner = project.namespace?.full_path ?? project.path_with_namespace.split('/').slice(0, -1).join('/');
        const group = groups.get(owner) ?? { group: owner, scopes: [] };
        group.scopes.push({ id: project.path_with_namespace, name: project.name, url: project.web_url });
        groups.set(owner, group);
      }
      return [...groups.values()].sort((a, b) => a.group.localeCompare(b.group));
    },

    pull(scope, cursor) {
      return pullIncremental<GitLabIssue>({
        fetchAfter: (q) => api.issuesPage(scope, q),
        id: (issue) => String(issue.iid),
        updatedAt: (issue) => issue.updated_at,
        toItems: (issues) => issues.map((issue) => item(scope, issue)),
        overlapMs: ctx.config.overlapSeconds * 1000,
        onInvalidCursor: (bad) => ctx.logger.warn({ scope, cursor: bad }, 'GitLab: unreadable pull cursor, starting a full listing'),
        label: `GitLab issues of ${scope}`,
      }, cursor);
    },

    async getItem(scope, remoteId) {
      const issue = await api.getIssue(scope, remoteId);
      return issue ? item(scope, issue) : null;
    },

    /** User notes only: system notes ("added ~bug label") are GitLab's own history; internal notes only when the binding asks. */
    async listComments(scope, remoteId, since) {
      const internal = ctx.binding?.options.internalNotes ?? false;
      const from = since ? Date.parse(since) : -Infinity;
      return (await api.notes(scope, remoteId))
        .filter((n) => !n.system && (internal || !n.internal) && Date.parse(n.updated_at) >= from)
        .map((note) => toRemoteComment(note, api.text));
    },

    async metadata(scope) {
      const [labels, members, milestones] = await Promise.all([api.labels(scope), api.members(scope), api.milestones(scope)]);
      return {
        statuses: states.statuses.map((s) => ({ ...s })),
        priorities: [],
        users: members.map((m) => ({ id: String(m.id), name: m.username, ...(m.name ? { displayName: m.name } : {}) })),
        labels: labels.map((l) => ({ id: String(l.id), name: l.name })),
        issueTypes: [],
        customFields: [
          { name: MILESTONE, type: 'option', values: milestones.map((m) => m.title) },
          { name: WEIGHT, type: 'number' },
        ],
      };
    },
  };
}

/** The id fields of a write: assignee and milestone by name, weight as a number. Unknown names are left out with a warning. */
async function idFields(api: GitLabSession, scope: string, fields: Partial<ItemFields>, warnings: string[]): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  if (fields.assignee !== undefined) {
    const id = fields.assignee === null ? null : await api.userId(fields.assignee);
    if (fields.assignee !== null && id === null) warnings.push(`GitLab has no user ${JSON.stringify(fields.assignee)}: the assignee was not set`);
    else body.assignee_ids = id === null ? [] : [id];
  }
  const custom = fields.customFields ?? {};
  if (MILESTONE in custom) {
    const title = custom[MILESTONE] ?? null;
    const id = title === null ? 0 : await api.milestoneId(scope, title);
    if (id === null) warnings.push(`GitLab project ${scope} has no milestone ${JSON.stringify(title)}: the milestone was not set`);
    else body.milestone_id = id;
  }
  if (WEIGHT in custom) body.weight = toWeight(custom[WEIGHT] ?? null);
  return body;
}

function writer(api: GitLabSession): Writer {
  return {
    async createItem(scope, { fields, marker }) {
      const warnings: string[] = [];
      const created = await api.createIssue(scope, {
        title: fields.title,
        description: appendMarker(api.text.toGitLab(fields.description), marker),
        ...(fields.labels.length ? { labels: [...fields.labels] } : {}),
        ...(await idFields(api, scope, { assignee: fields.assignee, customFields: setOnly(fields.customFields) }, warnings)),
      });
      // Issues are born open: closing is a second call.
      const issue = fields.closed ? await api.updateIssue(scope, String(created.iid), { state_event: 'close' }) : created;
      return { ...toRemoteItem(issue, scope, api.text), ...(warnings.length ? { warnings } : {}) };
    },

    /** The marker is an HTML comment in the description, found by GitLab's description search, then checked exactly. */
    async findByMarker(scope, marker) {
      const found = await api.searchIssues(scope, `trackbridge:${marker}`);
      const issue = found.find((i) => hasMarker(i.description, marker));
      return issue ? toRemoteItem(issue, scope, api.text) : null;
    },

    async updateItem(scope, remoteId, changes, version) {
      const current = await api.getIssue(scope, remoteId);
      if (!current) throw new PermanentError(`GitLab issue ${scope}#${remoteId} no longer exists`, 404);
      // GitLab has no conditional update; comparing updated_at first narrows the race to one round trip.
      if (version !== undefined && current.updated_at !== version) {
        throw new ConflictError(`GitLab issue ${scope}#${remoteId} changed at ${current.updated_at}, expected ${version}`);
      }
      const warnings: string[] = [];
      const body = { ...toIssueWrite(changes, api.text, current), ...(await idFields(api, scope, changes, warnings)) };
      const updated = Object.keys(body).length ? await api.updateIssue(scope, remoteId, body) : current;
      return { ...toRemoteItem(updated, scope, api.text), ...(warnings.length ? { warnings } : {}) };
    },

    // GitLab keeps an issue's history as system notes, not as field edits: nothing to report.
    editsSince: () => Promise.resolve({}),

    /** Deleting takes the Owner role; anyone who may edit the issue can close it, which is what a hub deletion then does. */
    async deleteItem(scope, remoteId) {
      try {
        await api.deleteIssue(scope, remoteId);
      } catch (error) {
        if (isRemoteError(error) && error.status === 404) return;
        if (isRemoteError(error) && error.status === 403) {
          await api.updateIssue(scope, remoteId, { state_event: 'close' });
          return;
        }
        throw error;
      }
    },
  };
}

const setOnly = (custom: Record<string, string | null>) => Object.fromEntries(Object.entries(custom).filter(([, v]) => v !== null));

function comments(api: GitLabSession): CommentWriter {
  return {
    async addComment(scope, remoteId, body) {
      return toRemoteComment(await api.addNote(scope, remoteId, api.text.toGitLab(body)), api.text);
    },
    async updateComment(scope, remoteId, commentId, body) {
      return toRemoteComment(await api.editNote(scope, remoteId, commentId, api.text.toGitLab(body)), api.text);
    },
  };
}

export const gitlab = defineConnector({
  slug: 'gitlab',
  name: 'GitLab Issues',
  description: 'Issues of a GitLab project, on gitlab.com or a self-managed instance: labels (scoped `key::value` labels through prefix rules), assignee, milestone and weight, notes as comments.',
  logoUrl: 'https://about.gitlab.com/images/press/logo/svg/gitlab-logo-500.svg',
  configSchema,
  secretsSchema,
  bindingOptions,
  fields: ['title', 'description', 'status', 'assignee', 'labels', 'customFields'],
  conditionalRequests: true,
  http: {
    service: 'GitLab',
    auth: { header: 'private-token', value: (secrets) => secrets.token },
    describeError: (body) => {
      if (typeof body !== 'object' || body === null) return undefined;
      const { message, error } = body as { message?: unknown; error?: unknown };
      if (typeof message === 'string') return message;
      if (message && typeof message === 'object') return JSON.stringify(message);
      return typeof error === 'string' ? error : undefined;
    },
    rateLimitHeaders: [{ remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' }],
  },
  webhooks: gitLabWebhooks,
  session: gitLabSession,
  reader,
  writer,
  comments,
});
