/** The Linear connector: built on `@trackbridge/sdk` and nothing of the core, as any third-party connector is. */
import {
  type CommentWriter, type ItemFields, type Reader, type RemoteComment, type RemoteItem, type Writer,
  ConflictError, PermanentError, defineConnector, isRemoteError, pullIncremental,
} from '@trackbridge/sdk';
import { type Ctx, type LinearComment, type LinearIssue, type LinearSession, issueIdFor, linearSession } from './api.js';
import { configSchema, secretsSchema } from './config.js';
import { linearEditsSince } from './history.js';
import { CYCLE, ESTIMATE, PRIORITIES, toInput, toRemoteComment, toRemoteItem } from './mapping.js';
import { linearWebhooks } from './webhooks.js';

/** An issue and a comment as the hub reads them: their mentions through the binding's user map. */
const readIssue = async (api: LinearSession, issue: LinearIssue): Promise<RemoteItem> => toRemoteItem(issue, await api.text.toHub(issue.description ?? ''));
const readComment = async (api: LinearSession, comment: LinearComment): Promise<RemoteComment> => toRemoteComment(comment, await api.text.toHub(comment.body));
/** Hub fields as Linear is sent them: the description's mentions as Linear writes them. */
const writeFields = async <T extends Partial<ItemFields>>(api: LinearSession, fields: T): Promise<T> =>
  (fields.description === undefined ? fields : { ...fields, description: await api.text.toLinear(fields.description) });

/** The issue, when it is in the binding's team (a Linear id names an issue across the workspace). */
const inTeam = (scope: string, issue: LinearIssue | null) => (issue && issue.team.key === scope ? issue : null);

function reader(api: LinearSession, ctx: Ctx): Reader {
  return {
    async testConnection() {
      try {
        const me = await api.viewer();
        return { ok: true, account: me.displayName, message: `Authenticated to Linear as ${me.displayName} (${me.name})` };
      } catch (error) {
        if (isRemoteError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listScopes() {
      const teams = await api.teams();
      return [{ group: 'Teams', scopes: teams.map((t) => ({ id: t.key, name: t.name })) }];
    },

    pull(scope, cursor) {
      return pullIncremental<LinearIssue>({
        fetchAfter: ({ since, after }) => api.issuesPage(scope, { since, after }),
        id: (issue) => issue.id,
        updatedAt: (issue) => issue.updatedAt,
        toItems: (issues) => Promise.all(issues.map((issue) => readIssue(api, issue))),
        overlapMs: ctx.config.overlapSeconds * 1000,
        onInvalidCursor: (bad) => ctx.logger.warn({ scope, cursor: bad }, 'Linear: unreadable pull cursor, starting a full listing'),
        label: `Linear issues of team ${scope}`,
      }, cursor);
    },

    async getItem(scope, remoteId) {
      const issue = inTeam(scope, await api.getIssue(remoteId));
      return issue ? readIssue(api, issue) : null;
    },

    async listComments(_scope, remoteId, since) {
      const from = since ? Date.parse(since) : -Infinity;
      return Promise.all((await api.comments(remoteId)).filter((c) => Date.parse(c.updatedAt) >= from).map((c) => readComment(api, c)));
    },

    async metadata(scope) {
      const team = await api.team(scope);
      const states = [...team.states.nodes].sort((a, b) => a.position - b.position);
      return {
        statuses: states.map((s) => ({ id: s.id, name: s.name, closed: s.type === 'completed' || s.type === 'canceled' })),
        priorities: PRIORITIES.slice(1).map((name, i) => ({ id: String(i + 1), name })),
        users: team.members.nodes.map((m) => ({ id: m.id, name: m.displayName, displayName: m.name })),
        labels: team.labels.nodes.map((l) => ({ id: l.id, name: l.name })),
        issueTypes: [],
        customFields: [
          { name: ESTIMATE, type: 'number' },
          { name: CYCLE, type: 'option', values: team.cycles.nodes.map((c) => String(c.number)) },
        ],
      };
    },
  };
}

function writer(api: LinearSession): Writer {
  return {
    async createItem(scope, { fields, marker }) {
      const team = await api.team(scope);
      const warnings: string[] = [];
      const set: Partial<ItemFields> = await writeFields(api, { ...fields, customFields: Object.fromEntries(Object.entries(fields.customFields).filter(([, v]) => v !== null)) });
      const id = issueIdFor(marker);
      let created: LinearIssue | null;
      try {
        created = await api.createIssue({ id, teamId: team.id, ...toInput(team, set, warnings) });
      } catch (error) {
        // A create retried after its answer was lost: the id is taken by the issue the first attempt made.
        if (!(isRemoteError(error) && /already exists/i.test(error.message))) throw error;
        created = await api.getIssue(id);
      }
      if (!created) throw new PermanentError(`Linear: the created issue ${id} cannot be read back`);
      return { ...(await readIssue(api, created)), ...(warnings.length ? { warnings } : {}) };
    },

    /** The marker is the issue's id: one read by id, no search. */
    async findByMarker(scope, marker) {
      const issue = inTeam(scope, await api.getIssue(issueIdFor(marker)));
      return issue ? readIssue(api, issue) : null;
    },

    async updateItem(scope, remoteId, changes, version) {
      const current = inTeam(scope, await api.getIssue(remoteId));
      if (!current) throw new PermanentError(`Linear issue ${remoteId} is not in team ${scope}`, 404);
      // Linear has no conditional update; comparing updatedAt first narrows the race to one round trip.
      if (version !== undefined && current.updatedAt !== version) {
        throw new ConflictError(`Linear issue ${current.identifier} changed at ${current.updatedAt}, expected ${version}`);
      }
      const warnings: string[] = [];
      const input = toInput(await api.team(scope), await writeFields(api, changes), warnings, current);
      const updated = Object.keys(input).length ? await api.updateIssue(remoteId, input) : current;
      if (!updated) throw new PermanentError(`Linear: the updated issue ${remoteId} cannot be read back`);
      return { ...(await readIssue(api, updated)), ...(warnings.length ? { warnings } : {}) };
    },

    editsSince: (_scope, remoteId, read, wrote) => linearEditsSince(api, remoteId, read, wrote),

    /** Moves the issue to the trash (Linear deletes it for good after 30 days). */
    async deleteItem(scope, remoteId) {
      if (!inTeam(scope, await api.getIssue(remoteId))) return;
      await api.deleteIssue(remoteId);
    },
  };
}

function comments(api: LinearSession): CommentWriter {
  return {
    addComment: async (_scope, remoteId, body) => readComment(api, await api.createComment(remoteId, await api.text.toLinear(body))),
    updateComment: async (_scope, _remoteId, commentId, body) => readComment(api, await api.updateComment(commentId, await api.text.toLinear(body))),
  };
}

/** The GraphQL error code in a failed answer's body, for the HTTP client's classification. */
const errorCode = (body: unknown): string | undefined =>
  (body as { errors?: Array<{ extensions?: { code?: unknown } }> } | null)?.errors?.[0]?.extensions?.code as string | undefined;

export const linear = defineConnector({
  slug: 'linear',
  name: 'Linear',
  description: 'Issues of a Linear team: workflow states, labels, priority (0–4), assignee, estimate and cycle, comments in Markdown.',
  logoUrl: 'https://linear.app/static/apple-touch-icon.png',
  configSchema,
  secretsSchema,
  fields: ['title', 'description', 'status', 'priority', 'assignee', 'labels', 'customFields'],
  // GraphQL answers carry no ETag: an unchanged team still costs one page of issues.
  conditionalRequests: false,
  http: {
    service: 'Linear',
    // A personal API key goes as is; an OAuth token would be `Bearer <token>`.
    auth: { header: 'authorization', value: (secrets) => secrets.apiKey },
    describeError: (body) => {
      const first = (body as { errors?: Array<{ message?: unknown; extensions?: { userPresentableMessage?: unknown; code?: unknown } }> } | null)?.errors?.[0];
      if (!first) return undefined;
      const text = typeof first.extensions?.userPresentableMessage === 'string' ? first.extensions.userPresentableMessage : String(first.message ?? '');
      return typeof first.extensions?.code === 'string' ? `${first.extensions.code}: ${text}` : text;
    },
    // Linear answers its rate limit and a rejected key with 400 and a code.
    classifyError: ({ body }) => {
      const code = errorCode(body);
      if (code === 'RATELIMITED') return { kind: 'rate-limited' };
      if (code === 'AUTHENTICATION_ERROR') return { kind: 'auth' };
      return undefined;
    },
    // Two budgets an hour: requests, and query complexity (each answer says what its query cost).
    rateLimitHeaders: [
      { remaining: 'x-ratelimit-requests-remaining', reset: 'x-ratelimit-requests-reset' },
      { remaining: 'x-ratelimit-complexity-remaining', reset: 'x-ratelimit-complexity-reset', cost: 'x-complexity' },
    ],
  },
  markerForm: issueIdFor,
  webhooks: linearWebhooks,
  session: linearSession,
  reader,
  writer,
  comments,
});
