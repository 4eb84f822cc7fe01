/** Linear's GraphQL API, as the capabilities use it: one typed session per connection use. */
import { createHash } from 'node:crypto';
import { AuthError, type ConnectorContext, PermanentError, RateLimitedError, type SourcePage, TransientError, z } from '@trackbridge/sdk';
import type { LinearConfig, LinearSecrets } from './config.js';
import { type MentionText, type Person, mentionText } from './mentions.js';
import * as q from './queries.js';

export type Ctx = ConnectorContext<LinearConfig, LinearSecrets>;

const stateShape = z.looseObject({ id: z.string(), name: z.string(), type: z.string() });
export const issueShape = z.looseObject({
  id: z.string(),
  identifier: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  priority: z.number(),
  estimate: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  url: z.string(),
  state: stateShape,
  assignee: z.looseObject({ id: z.string(), displayName: z.string() }).nullable(),
  labels: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), name: z.string() })) }),
  cycle: z.looseObject({ id: z.string(), number: z.number() }).nullable(),
  team: z.looseObject({ id: z.string(), key: z.string() }),
});
export type LinearIssue = z.output<typeof issueShape>;
export const commentShape = z.looseObject({
  id: z.string(), body: z.string(), createdAt: z.string(), updatedAt: z.string(),
  user: z.looseObject({ displayName: z.string() }).nullable(),
});
export type LinearComment = z.output<typeof commentShape>;
const pageInfo = z.looseObject({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const named = z.looseObject({ name: z.string() });
export const historyShape = z.looseObject({
  createdAt: z.string(),
  actor: z.looseObject({ id: z.string() }).nullable().optional(),
  fromTitle: z.string().nullable().optional(), toTitle: z.string().nullable().optional(),
  toState: z.looseObject({ name: z.string(), type: z.string() }).nullable().optional(),
  fromPriority: z.number().nullable().optional(), toPriority: z.number().nullable().optional(),
  fromAssigneeId: z.string().nullable().optional(), toAssigneeId: z.string().nullable().optional(),
  toAssignee: z.looseObject({ displayName: z.string() }).nullable().optional(),
  addedLabels: z.array(named).nullable().optional(), removedLabels: z.array(named).nullable().optional(),
  fromEstimate: z.number().nullable().optional(), toEstimate: z.number().nullable().optional(),
  fromCycleId: z.string().nullable().optional(), toCycleId: z.string().nullable().optional(),
  toCycle: z.looseObject({ number: z.number() }).nullable().optional(),
});
export type LinearHistory = z.output<typeof historyShape>;
const teamShape = z.looseObject({
  id: z.string(), key: z.string(), name: z.string(),
  states: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), name: z.string(), type: z.string(), position: z.number() })) }),
  labels: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), name: z.string() })) }),
  members: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), displayName: z.string(), name: z.string() })) }),
  cycles: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), number: z.number() })) }),
});
export type LinearTeam = z.output<typeof teamShape>;

const errorShape = z.looseObject({ message: z.string(), extensions: z.looseObject({ code: z.string().optional(), userPresentableMessage: z.string().optional() }).optional() });
type GraphQLError = z.output<typeof errorShape>;

/** An entity Linear answered it does not have (a read by id): the callers read that as null. */
export class NotFound extends PermanentError {}

/**
 * A GraphQL error in a 200 answer, classified where it is born: Linear's codes say a rate limit, a
 * rejected key or a missing entity; anything else it refuses is permanent.
 */
function classify(errors: GraphQLError[], operation: string): Error {
  const [first] = errors;
  const code = first?.extensions?.code;
  const message = `Linear ${operation}: ${errors.map((e) => e.extensions?.userPresentableMessage ?? e.message).join('; ')}`;
  if (code === 'RATELIMITED') return new RateLimitedError('Linear', `${message} (rate limited)`, 400, 60_000);
  if (code === 'AUTHENTICATION_ERROR') return new AuthError(message, 400);
  if (code === 'INTERNAL_SERVER_ERROR') return new TransientError(message, 500);
  if (errors.some((e) => /^Entity not found/.test(e.message))) return new NotFound(message, 404);
  return new PermanentError(message, 400);
}

/**
 * The issue id a create with this marker asks Linear for (`IssueCreateInput.id` takes a client-chosen
 * UUID v4): the marker's SHA-256 shaped as a version-4 UUID. A retried create asks for the same id,
 * which Linear refuses as existing, and a read by that id finds it.
 */
export function issueIdFor(marker: string): string {
  const h = createHash('sha256').update(`trackbridge:${marker}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A value asked for once per session; an ask that failed is made again the next time. */
function once<T>(ask: () => Promise<T>): () => Promise<T> {
  let asked: Promise<T> | undefined;
  return () => {
    if (!asked) {
      asked = ask();
      asked.catch(() => (asked = undefined));
    }
    return asked;
  };
}

export function linearSession(ctx: Ctx) {
  const { http } = ctx;

  async function gql<T>(operation: string, query: string, variables: Record<string, unknown>, data: z.ZodType<T>, opts: { mutation?: boolean } = {}): Promise<T> {
    const shape = z.looseObject({ data: data.nullable().optional(), errors: z.array(errorShape).optional() });
    // A mutation is not repeated in-process: the platform's retry (and the marker) decides.
    const body = await http.json({ method: 'POST', path: '/graphql', body: { query, variables, operationName: operation }, idempotent: !opts.mutation }, shape);
    if (body.errors?.length) throw classify(body.errors, operation);
    if (body.data === undefined || body.data === null) throw new PermanentError(`Linear ${operation}: an answer without data`);
    return body.data;
  }

  const teams = new Map<string, Promise<LinearTeam>>();
  /** A team's states, labels, members and cycles, asked once per session. */
  function team(key: string): Promise<LinearTeam> {
    let found = teams.get(key);
    if (!found) {
      found = gql('TbTeam', q.TEAM, { key }, z.looseObject({ teams: z.looseObject({ nodes: z.array(teamShape) }) })).then((d) => {
        const t = d.teams.nodes[0];
        if (!t) throw new PermanentError(`Linear has no team with the key ${JSON.stringify(key)}`, 404);
        return t;
      });
      found.catch(() => teams.delete(key));
      teams.set(key, found);
    }
    return found;
  }

  async function getIssue(id: string): Promise<LinearIssue | null> {
    try {
      return (await gql('TbIssue', q.ISSUE_BY_ID, { id }, z.looseObject({ issue: issueShape }))).issue;
    } catch (error) {
      if (error instanceof NotFound) return null;
      throw error;
    }
  }

  /** One page of the team's issues updated at or after `since` (Linear pages by cursor; newest first). */
  async function issuesPage(scope: string, p: { since: string | null; after: string | null }): Promise<SourcePage<LinearIssue>> {
    const filter = { team: { key: { eq: scope } }, ...(p.since ? { updatedAt: { gte: p.since } } : {}) };
    const { issues } = await gql('TbIssues', q.ISSUES, { filter, first: ctx.config.pageSize, after: p.after }, z.looseObject({ issues: z.looseObject({ nodes: z.array(issueShape), pageInfo }) }));
    return { notModified: false, items: issues.nodes, hasNext: issues.pageInfo.hasNextPage, etag: null, endCursor: issues.pageInfo.endCursor };
  }

  /** Every node of a connection, page by page through its cursor (at most 100 pages). */
  async function everyPage<T>(read: (after: string | null) => Promise<{ nodes: T[]; pageInfo: z.output<typeof pageInfo> }>): Promise<T[]> {
    const out: T[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const { nodes, pageInfo: info } = await read(after);
      out.push(...nodes);
      if (!info.hasNextPage) break;
      after = info.endCursor;
    }
    return out;
  }

  const commentsPage = z.looseObject({ issue: z.looseObject({ comments: z.looseObject({ nodes: z.array(commentShape), pageInfo }) }) });
  const comments = (id: string): Promise<LinearComment[]> =>
    everyPage(async (after) => (await gql('TbComments', q.COMMENTS, { id, after }, commentsPage)).issue.comments);

  const historyPage = z.looseObject({ issue: z.looseObject({ history: z.looseObject({ nodes: z.array(historyShape), pageInfo }) }) });
  /** An issue's history entries (Linear keeps one per change, with the actor and the fields' from and to). */
  const history = (id: string): Promise<LinearHistory[]> =>
    everyPage(async (after) => (await gql('TbHistory', q.HISTORY, { id, after }, historyPage)).issue.history);
  /** The API key's own user, asked once per session. */
  const viewer = once(async () => (await gql('TbViewer', q.VIEWER, {}, z.looseObject({ viewer: z.looseObject({ id: z.string(), displayName: z.string(), name: z.string() }) }))).viewer);

  const teamsPage = z.looseObject({ teams: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), key: z.string(), name: z.string() })), pageInfo }) });

  const usersPage = z.looseObject({ users: z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), displayName: z.string(), name: z.string(), url: z.string() })), pageInfo }) });
  /** The workspace's users (disabled ones too: old mentions name them), asked once per session and only when a mention needs them. */
  const everyone = once((): Promise<Person[]> => everyPage(async (after) => (await gql('TbUsers', q.USERS, { after }, usersPage)).users));
  /** Mentions in descriptions and comments, through the binding's user map. */
  const text: MentionText = mentionText(ctx.binding?.users ?? [], everyone);

  const payload = z.looseObject({ success: z.boolean(), issue: issueShape.nullable() });
  const commentPayload = z.looseObject({ success: z.boolean(), comment: commentShape });

  return {
    http,
    ctx,
    gql,
    text,
    team,
    getIssue,
    issuesPage,
    comments,
    history,
    viewer,
    teams: () => everyPage(async (after) => (await gql('TbTeams', q.TEAMS, { after }, teamsPage)).teams),
    async createIssue(input: Record<string, unknown>): Promise<LinearIssue | null> {
      return (await gql('TbCreateIssue', q.CREATE_ISSUE, { input }, z.looseObject({ issueCreate: payload }), { mutation: true })).issueCreate.issue;
    },
    async updateIssue(id: string, input: Record<string, unknown>): Promise<LinearIssue | null> {
      return (await gql('TbUpdateIssue', q.UPDATE_ISSUE, { id, input }, z.looseObject({ issueUpdate: payload }), { mutation: true })).issueUpdate.issue;
    },
    async deleteIssue(id: string): Promise<void> {
      await gql('TbDeleteIssue', q.DELETE_ISSUE, { id }, z.looseObject({ issueDelete: z.looseObject({ success: z.boolean() }) }), { mutation: true });
    },
    async createComment(issueId: string, body: string): Promise<LinearComment> {
      return (await gql('TbCreateComment', q.CREATE_COMMENT, { input: { issueId, body } }, z.looseObject({ commentCreate: commentPayload }), { mutation: true })).commentCreate.comment;
    },
    async updateComment(id: string, body: string): Promise<LinearComment> {
      return (await gql('TbUpdateComment', q.UPDATE_COMMENT, { id, input: { body } }, z.looseObject({ commentUpdate: commentPayload }), { mutation: true })).commentUpdate.comment;
    },
  };
}

export type LinearSession = ReturnType<typeof linearSession>;
