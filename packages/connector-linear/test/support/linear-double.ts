/**
 * A Linear double for the connector's tests: Linear's GraphQL API in memory, in one process, held to
 * Linear's published schema (../fixtures/linear-schema.graphql.gz). Every query and mutation is
 * validated against the schema before anything runs; one that does not validate (a field Linear does
 * not have, a wrong argument, a variable of the wrong type) is refused with Linear's
 * GRAPHQL_VALIDATION_FAILED answer and recorded in `violations`, which the tests require to stay empty.
 * What does validate is executed against the same schema (graphql-js), so an input object with a field
 * Linear's input type lacks is refused as Linear refuses it, and an answer can only carry what the
 * schema declares. Never product code.
 *
 * What it models of Linear, from its documentation: a personal API key in `Authorization` (no
 * `Bearer`); teams with their workflow states (`backlog`, `unstarted`, `started`, `completed`,
 * `canceled`), labels, members and cycles; issues with a client-chosen id (`IssueCreateInput.id`, a
 * UUID; a second create with the same id is refused), `priority` 0–4, `estimate`, `identifier`
 * `KEY-n`; cursor connections (`first`, `after`, `pageInfo`) ordered by `updatedAt` (newest first,
 * as Linear orders), `updatedAt` filters; comments; the request and complexity budgets in
 * `X-RateLimit-Requests-*`, `X-RateLimit-Complexity-*` and `X-Complexity` on every answer, and a
 * RATELIMITED error when spent; an issue's `history`, an entry per edit with its actor and each changed
 * field's from and to (a description edit only as `updatedDescription`); webhooks signed in
 * `Linear-Signature` (hex HMAC-SHA256 of the body) with a `webhookTimestamp`.
 *
 * Mentions: Linear has no `@name` in Markdown (it stays text). A link to a user's profile URL in a
 * description or comment sent through the API becomes a mention (Linear's answer on linear/linear#351:
 * "You can create mentions by linking to the item"), and a body read back carries each mention as a
 * link to the profile with the user's name as its text, `[Alice Liddell](https://linear.app/acme/profiles/alice)`,
 * as API users report reading them. So the double stores what it was sent with every profile URL of a
 * user it knows (bare, `<…>` or a link) rewritten to that form: a connector that reads back only what it
 * wrote fails here.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { GraphQLError, buildSchema, execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

let cachedSchema: GraphQLSchema | undefined;
/** Linear's schema, parsed once per process (1.2 MB of SDL). */
export function linearSchema(): GraphQLSchema {
  cachedSchema ??= buildSchema(gunzipSync(readFileSync(new URL('../fixtures/linear-schema.graphql.gz', import.meta.url))).toString('utf8'));
  return cachedSchema;
}

type StateType = 'triage' | 'backlog' | 'unstarted' | 'started' | 'completed' | 'canceled';
interface State { id: string; name: string; type: StateType; position: number; teamId: string }
interface User { id: string; name: string; displayName: string; email: string }
interface Label { id: string; name: string; teamId: string | null }
interface Cycle { id: string; number: number; name: string | null; teamId: string }
interface Team { id: string; key: string; name: string; nextNumber: number }
export interface LinearIssue {
  id: string; teamId: string; number: number; title: string; description: string | null; priority: number; estimate: number | null;
  stateId: string; assigneeId: string | null; labelIds: string[]; cycleId: string | null; createdAt: string; updatedAt: string; trashed: boolean;
}
export interface LinearComment { id: string; issueId: string; body: string; userId: string; createdAt: string; updatedAt: string }
/** One entry of an issue's history: who changed what, from and to (Linear's `IssueHistory`). */
interface HistoryEntry {
  id: string; issueId: string; actorId: string; createdAt: string;
  fromTitle?: string; toTitle?: string; fromStateId?: string; toStateId?: string; fromPriority?: number; toPriority?: number;
  fromAssigneeId?: string | null; toAssigneeId?: string | null; addedLabelIds?: string[]; removedLabelIds?: string[];
  fromEstimate?: number | null; toEstimate?: number | null; fromCycleId?: string | null; toCycleId?: string | null; updatedDescription?: boolean;
}

export interface LinearDoubleOptions {
  /** Requests an hour (Linear's API key default is 1,500). */
  requestsPerHour?: number;
  /** Complexity points an hour (Linear's API key default is 250,000). */
  complexityPerHour?: number;
}

export interface LinearDouble {
  url: string;
  apiKey: string;
  users: { alice: User; bob: User; bot: User };
  violations: string[];
  /** Every operation, as `operationName` (or the first field). */
  log: Array<{ operation: string; query: string; variables: unknown; status: number }>;
  createTeam(key?: string): string;
  label(team: string, name: string): string;
  cycle(team: string, number: number): string;
  seed(team: string, count: number): string[];
  /** Edits an issue as another user (bob) would, moving its updatedAt. */
  edit(id: string, patch: { title?: string; description?: string; state?: string; priority?: number }): void;
  comment(id: string, body: string): void;
  issue(id: string): LinearIssue | undefined;
  issues(team: string): LinearIssue[];
  comments(id: string): LinearComment[];
  stateName(issue: LinearIssue): string;
  setWebhook(url: string | null, secret?: string): void;
  settleWebhooks(): Promise<number[]>;
  close(): Promise<void>;
}

const STATES: Array<[string, StateType]> = [['Backlog', 'backlog'], ['Todo', 'unstarted'], ['In Progress', 'started'], ['Done', 'completed'], ['Canceled', 'canceled']];
const PRIORITY_LABELS = ['No priority', 'Urgent', 'High', 'Medium', 'Low'];
const PROFILE_URL = 'https://linear.app/acme/profiles/';
const PROFILE_ESCAPED = PROFILE_URL.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A profile URL as a link `[…](url)`, an autolink `<url>` or bare. */
const PROFILE_LINK = new RegExp(`\\[[^\\]\\n]*\\]\\((${PROFILE_ESCAPED}[^\\s)]+)\\)|<(${PROFILE_ESCAPED}[^\\s>]+)>|(${PROFILE_ESCAPED}[^\\s<>()\\[\\]]+)`, 'g');
const gqlError = (message: string, code: string) => new GraphQLError(message, { extensions: { code, userPresentableMessage: message } });

export async function startLinearDouble(options: LinearDoubleOptions = {}): Promise<LinearDouble> {
  const schema = linearSchema();
  const violations: string[] = [];
  const log: LinearDouble['log'] = [];
  const users = {
    alice: { id: randomUUID(), name: 'Alice Liddell', displayName: 'alice', email: 'alice@example.test' },
    bob: { id: randomUUID(), name: 'Bob Marley', displayName: 'bob', email: 'bob@example.test' },
    bot: { id: randomUUID(), name: 'trackbridge', displayName: 'trackbridge', email: 'bot@example.test' },
  };
  const apiKey = `lin_api_${randomUUID().replace(/-/g, '')}`;
  const teams: Team[] = [];
  const states: State[] = [];
  const labels: Label[] = [];
  const cycles: Cycle[] = [];
  const issues: LinearIssue[] = [];
  const comments: LinearComment[] = [];
  const history: HistoryEntry[] = [];
  let lastStamp = 0;
  const stamp = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return new Date(lastStamp).toISOString();
  };
  const budget = { requests: options.requestsPerHour ?? 100_000, complexity: options.complexityPerHour ?? 10_000_000, start: Date.now(), usedRequests: 0, usedComplexity: 0 };
  let webhook: { url: string; secret: string } | null = null;
  const deliveries: Promise<number>[] = [];

  const teamOf = (key: string) => {
    const team = teams.find((t) => t.key === key);
    if (!team) throw new Error(`no team ${key}`);
    return team;
  };
  const userById = (id: string | null) => Object.values(users).find((u) => u.id === id) ?? null;
  /** A body as Linear keeps it: each link (bare, `<…>` or `[…](…)`) to a known user's profile becomes a mention, read back as `[Name](profile)`. */
  const stored = (body: string): string =>
    body.replace(PROFILE_LINK, (all, linked?: string, angled?: string, bare?: string) => {
      // A bare URL ends before trailing punctuation, as GFM's autolinks do.
      const url = linked ?? angled ?? bare!.replace(/[.,:;!?*_~]+$/, '');
      const name = decodeURIComponent(url.slice(PROFILE_URL.length)).replace(/\/$/, '');
      const user = Object.values(users).find((u) => u.displayName.toLowerCase() === name.toLowerCase());
      return user ? `[${user.name}](${PROFILE_URL}${user.displayName})${bare ? bare.slice(url.length) : ''}` : all;
    });
  /** A connection over `list` as Linear pages it: `first` (default 50, at most 250), `after` a cursor. */
  const connection = <T extends { id: string }>(list: T[], args: { first?: number | null; after?: string | null }) => {
    const first = args.first ?? 50;
    if (first > 250) throw gqlError('first must be less than or equal to 250', 'INVALID_INPUT');
    const start = args.after ? list.findIndex((t) => t.id === Buffer.from(args.after!, 'base64url').toString()) + 1 : 0;
    if (args.after && start === 0) throw gqlError('Invalid cursor', 'INVALID_INPUT');
    const nodes = list.slice(start, start + first);
    const cursor = (t: T) => Buffer.from(t.id).toString('base64url');
    return {
      nodes, edges: nodes.map((node) => ({ node, cursor: cursor(node) })),
      pageInfo: { hasNextPage: start + first < list.length, hasPreviousPage: start > 0, startCursor: nodes[0] ? cursor(nodes[0]) : null, endCursor: nodes.at(-1) ? cursor(nodes.at(-1)!) : null },
    };
  };
  const userView = (u: User) => ({ ...u, active: true, admin: false, guest: false, url: `${PROFILE_URL}${u.displayName}`, avatarUrl: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
  const stateView = (s: State) => ({ ...s, color: '#bec2c8', description: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', archivedAt: null, team: () => teamView(teams.find((t) => t.id === s.teamId)!) });
  const labelView = (l: Label) => ({ ...l, color: '#95a2b3', description: null, isGroup: false, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
  const cycleView = (c: Cycle) => ({ ...c, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-01-15T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
  const teamView = (t: Team): { id: string } & Record<string, unknown> => ({
    id: t.id, key: t.key, name: t.name, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    states: (args: { first?: number; after?: string }) => connection(states.filter((s) => s.teamId === t.id).sort((a, b) => a.position - b.position).map(stateView), args),
    labels: (args: { first?: number; after?: string }) => connection(labels.filter((l) => l.teamId === t.id || l.teamId === null).map(labelView), args),
    members: (args: { first?: number; after?: string }) => connection(Object.values(users).map(userView), args),
    cycles: (args: { first?: number; after?: string }) => connection(cycles.filter((c) => c.teamId === t.id).map(cycleView), args),
  });
  const commentView = (c: LinearComment) => ({ id: c.id, body: c.body, createdAt: c.createdAt, updatedAt: c.updatedAt, user: userView(userById(c.userId)!), issue: () => issueView(issues.find((i) => i.id === c.issueId)!) });
  const issueView = (i: LinearIssue): { id: string } & Record<string, unknown> => {
    const team = teams.find((t) => t.id === i.teamId)!;
    return {
      id: i.id, number: i.number, identifier: `${team.key}-${i.number}`, title: i.title, description: i.description, priority: i.priority,
      priorityLabel: PRIORITY_LABELS[i.priority], estimate: i.estimate, createdAt: i.createdAt, updatedAt: i.updatedAt, trashed: i.trashed,
      url: `https://linear.app/acme/issue/${team.key}-${i.number}`, branchName: `${team.key.toLowerCase()}-${i.number}`,
      labelIds: i.labelIds, state: stateView(states.find((s) => s.id === i.stateId)!), team: teamView(team),
      assignee: i.assigneeId ? userView(userById(i.assigneeId)!) : null, cycle: i.cycleId ? cycleView(cycles.find((c) => c.id === i.cycleId)!) : null,
      labels: (args: { first?: number; after?: string }) => connection(labels.filter((l) => i.labelIds.includes(l.id)).map(labelView), args),
      comments: (args: { first?: number; after?: string }) => connection(comments.filter((c) => c.issueId === i.id).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(commentView), args),
      history: (args: { first?: number; after?: string }) => connection(history.filter((h) => h.issueId === i.id).sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map(historyView), args),
    };
  };

  /** Linear's `IssueFilter`, as far as the connector and the tests use it; any other filter field is refused as unsupported by this double. */
  const matches = (i: LinearIssue, filter: Record<string, unknown> | null | undefined): boolean => {
    if (!filter) return true;
    for (const [key, value] of Object.entries(filter)) {
      const cmp = value as Record<string, unknown>;
      if (key === 'team') {
        const team = teams.find((t) => t.id === i.teamId)!;
        const byKey = (cmp.key as Record<string, unknown> | undefined)?.eq;
        const byId = (cmp.id as Record<string, unknown> | undefined)?.eq;
        if ((byKey !== undefined && team.key !== byKey) || (byId !== undefined && team.id !== byId)) return false;
      } else if (key === 'updatedAt') {
        if (cmp.gte !== undefined && Date.parse(i.updatedAt) < Date.parse(String(cmp.gte))) return false;
        if (cmp.gt !== undefined && Date.parse(i.updatedAt) <= Date.parse(String(cmp.gt))) return false;
      } else if (key === 'id') {
        if (cmp.eq !== undefined && i.id !== cmp.eq) return false;
      } else {
        throw gqlError(`this double does not model the issue filter ${key}`, 'INVALID_INPUT');
      }
    }
    return true;
  };

  const touch = (i: LinearIssue) => {
    i.updatedAt = stamp();
    fire('Issue', 'update', { id: i.id, teamId: i.teamId });
  };
  /** The history entry an edit leaves: the fields it changed, from and to, and who changed them. */
  const record = (before: LinearIssue, after: LinearIssue, actorId: string) => {
    const entry: HistoryEntry = { id: randomUUID(), issueId: after.id, actorId, createdAt: after.updatedAt };
    if (before.title !== after.title) Object.assign(entry, { fromTitle: before.title, toTitle: after.title });
    if (before.stateId !== after.stateId) Object.assign(entry, { fromStateId: before.stateId, toStateId: after.stateId });
    if (before.priority !== after.priority) Object.assign(entry, { fromPriority: before.priority, toPriority: after.priority });
    if (before.assigneeId !== after.assigneeId) Object.assign(entry, { fromAssigneeId: before.assigneeId, toAssigneeId: after.assigneeId });
    const added = after.labelIds.filter((l) => !before.labelIds.includes(l));
    const removed = before.labelIds.filter((l) => !after.labelIds.includes(l));
    if (added.length || removed.length) Object.assign(entry, { addedLabelIds: added, removedLabelIds: removed });
    if (before.estimate !== after.estimate) Object.assign(entry, { fromEstimate: before.estimate, toEstimate: after.estimate });
    if (before.cycleId !== after.cycleId) Object.assign(entry, { fromCycleId: before.cycleId, toCycleId: after.cycleId });
    if (before.description !== after.description) entry.updatedDescription = true;
    history.push(entry);
  };
  const historyView = (h: HistoryEntry) => ({
    id: h.id, createdAt: h.createdAt, updatedAt: h.createdAt, actorId: h.actorId, actor: userView(userById(h.actorId)!),
    fromTitle: h.fromTitle ?? null, toTitle: h.toTitle ?? null, fromStateId: h.fromStateId ?? null, toStateId: h.toStateId ?? null,
    fromState: h.fromStateId ? stateView(states.find((st) => st.id === h.fromStateId)!) : null, toState: h.toStateId ? stateView(states.find((st) => st.id === h.toStateId)!) : null,
    fromPriority: h.fromPriority ?? null, toPriority: h.toPriority ?? null,
    fromAssigneeId: h.fromAssigneeId ?? null, toAssigneeId: h.toAssigneeId ?? null, toAssignee: h.toAssigneeId ? userView(userById(h.toAssigneeId)!) : null,
    addedLabelIds: h.addedLabelIds ?? null, removedLabelIds: h.removedLabelIds ?? null,
    addedLabels: h.addedLabelIds ? labels.filter((l) => h.addedLabelIds!.includes(l.id)).map(labelView) : null,
    removedLabels: h.removedLabelIds ? labels.filter((l) => h.removedLabelIds!.includes(l.id)).map(labelView) : null,
    fromEstimate: h.fromEstimate ?? null, toEstimate: h.toEstimate ?? null, fromCycleId: h.fromCycleId ?? null, toCycleId: h.toCycleId ?? null,
    toCycle: h.toCycleId ? cycleView(cycles.find((c) => c.id === h.toCycleId)!) : null, updatedDescription: h.updatedDescription ?? null,
    issue: () => issueView(issues.find((i) => i.id === h.issueId)!),
  });
  const applyInput = (i: LinearIssue, input: Record<string, unknown>) => {
    if (input.title !== undefined) {
      if (typeof input.title !== 'string' || !input.title.trim()) throw gqlError('Argument Validation Error: title should not be empty', 'INVALID_INPUT');
      i.title = input.title;
    }
    if (input.description !== undefined) i.description = typeof input.description === 'string' ? stored(input.description) : null;
    if (input.priority !== undefined) {
      if (!Number.isInteger(input.priority) || (input.priority as number) < 0 || (input.priority as number) > 4) throw gqlError('Argument Validation Error: priority must not be greater than 4', 'INVALID_INPUT');
      i.priority = input.priority as number;
    }
    if (input.estimate !== undefined) i.estimate = input.estimate as number | null;
    if (input.stateId !== undefined) {
      if (!states.some((s) => s.id === input.stateId && s.teamId === i.teamId)) throw gqlError('Entity not found: WorkflowState', 'INVALID_INPUT');
      i.stateId = input.stateId as string;
    }
    if (input.assigneeId !== undefined) {
      if (input.assigneeId !== null && !userById(input.assigneeId as string)) throw gqlError('Entity not found: User', 'INVALID_INPUT');
      i.assigneeId = input.assigneeId as string | null;
    }
    if (input.labelIds !== undefined) {
      for (const id of input.labelIds as string[]) if (!labels.some((l) => l.id === id)) throw gqlError('Entity not found: IssueLabel', 'INVALID_INPUT');
      i.labelIds = [...(input.labelIds as string[])];
    }
    if (input.cycleId !== undefined) {
      if (input.cycleId !== null && !cycles.some((c) => c.id === input.cycleId)) throw gqlError('Entity not found: Cycle', 'INVALID_INPUT');
      i.cycleId = input.cycleId as string | null;
    }
  };
  const liveIssue = (id: string) => {
    const found = issues.find((i) => i.id === id && !i.trashed) ?? issues.find((i) => `${teams.find((t) => t.id === i.teamId)!.key}-${i.number}` === id && !i.trashed);
    if (!found) throw gqlError('Entity not found: Issue - Could not find referenced Issue.', 'INVALID_INPUT');
    return found;
  };

  const rootValue = {
    viewer: () => userView(users.bot),
    teams: (args: { filter?: Record<string, Record<string, unknown>> | null; first?: number; after?: string }) => connection(
      teams.filter((t) => !args.filter?.key || (args.filter.key.eq === undefined || t.key === args.filter.key.eq)).map(teamView), args),
    team: ({ id }: { id: string }) => {
      const team = teams.find((t) => t.id === id || t.key === id);
      if (!team) throw gqlError('Entity not found: Team', 'INVALID_INPUT');
      return teamView(team);
    },
    users: (args: { first?: number; after?: string }) => connection(Object.values(users).map(userView), args),
    issue: ({ id }: { id: string }) => issueView(liveIssue(id)),
    issues: (args: { filter?: Record<string, unknown> | null; first?: number; after?: string; orderBy?: string | null }) => {
      const key = (i: LinearIssue) => (args.orderBy === 'updatedAt' ? i.updatedAt : i.createdAt);
      const list = issues.filter((i) => !i.trashed && matches(i, args.filter)).sort((a, b) => key(b).localeCompare(key(a)) || b.id.localeCompare(a.id));
      return connection(list.map(issueView), args);
    },
    issueCreate: ({ input }: { input: Record<string, unknown> }) => {
      const team = teams.find((t) => t.id === input.teamId);
      if (!team) throw gqlError('Entity not found: Team', 'INVALID_INPUT');
      const id = (input.id as string | undefined) ?? randomUUID();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) throw gqlError('Argument Validation Error: id must be a UUID', 'INVALID_INPUT');
      if (issues.some((i) => i.id === id)) throw gqlError('Entity already exists: Issue', 'INVALID_INPUT');
      const at = stamp();
      const firstOpen = states.filter((s) => s.teamId === team.id && s.type === 'unstarted').sort((a, b) => a.position - b.position)[0]!;
      const issue: LinearIssue = { id, teamId: team.id, number: team.nextNumber++, title: '', description: null, priority: 0, estimate: null, stateId: firstOpen.id, assigneeId: null, labelIds: [], cycleId: null, createdAt: at, updatedAt: at, trashed: false };
      applyInput(issue, { ...input });
      if (!issue.title) throw gqlError('Argument Validation Error: title should not be empty', 'INVALID_INPUT');
      issues.push(issue);
      fire('Issue', 'create', { id: issue.id, teamId: team.id });
      return { success: true, lastSyncId: 1, issue: issueView(issue) };
    },
    issueUpdate: ({ id, input }: { id: string; input: Record<string, unknown> }) => {
      const issue = liveIssue(id);
      const before = { ...issue, labelIds: [...issue.labelIds] };
      applyInput(issue, input);
      touch(issue);
      record(before, issue, users.bot.id);
      return { success: true, lastSyncId: 1, issue: issueView(issue) };
    },
    issueDelete: ({ id }: { id: string }) => {
      const issue = liveIssue(id);
      issue.trashed = true;
      issue.updatedAt = stamp();
      return { success: true, lastSyncId: 1, entity: issueView(issue) };
    },
    commentCreate: ({ input }: { input: Record<string, unknown> }) => {
      const issue = liveIssue(String(input.issueId));
      if (typeof input.body !== 'string' || !input.body.trim()) throw gqlError('Argument Validation Error: body should not be empty', 'INVALID_INPUT');
      const at = stamp();
      const comment: LinearComment = { id: randomUUID(), issueId: issue.id, body: stored(input.body), userId: users.bot.id, createdAt: at, updatedAt: at };
      comments.push(comment);
      issue.updatedAt = at;
      fire('Comment', 'create', { id: comment.id, issueId: issue.id });
      return { success: true, lastSyncId: 1, comment: commentView(comment) };
    },
    commentUpdate: ({ id, input }: { id: string; input: Record<string, unknown> }) => {
      const comment = comments.find((c) => c.id === id);
      if (!comment) throw gqlError('Entity not found: Comment', 'INVALID_INPUT');
      if (comment.userId !== users.bot.id) throw gqlError('You can only edit your own comments', 'FORBIDDEN');
      if (typeof input.body === 'string') comment.body = stored(input.body);
      comment.updatedAt = stamp();
      fire('Comment', 'update', { id: comment.id, issueId: comment.issueId });
      return { success: true, lastSyncId: 1, comment: commentView(comment) };
    },
  };

  const fire = (type: 'Issue' | 'Comment', action: string, data: Record<string, unknown>) => {
    if (!webhook) return;
    const body = JSON.stringify({ action, type, data, url: 'https://linear.app/acme', createdAt: new Date().toISOString(), organizationId: 'org', webhookTimestamp: Date.now(), webhookId: 'hook' });
    const { url, secret } = webhook;
    deliveries.push(fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'linear-signature': createHmac('sha256', secret).update(body).digest('hex'), 'linear-delivery': randomUUID(), 'linear-event': type },
      body,
    }).then((r) => r.status, () => 0));
  };

  /** Points a query costs, roughly as Linear counts them: each object 0.1, each connection its page size. */
  const complexityOf = (doc: DocumentNode): number => {
    let points = 1;
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"name":\{"kind":"Name","value":"first"\},"value":\{"kind":"(?:IntValue|Variable)"(?:,"value":"(\d+)")?/g)) points += Number(m[1] ?? 50);
    return points;
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ message: (error as Error).message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      if (Date.now() - budget.start > 3_600_000) Object.assign(budget, { start: Date.now(), usedRequests: 0, usedComplexity: 0 });
      const reset = String(budget.start + 3_600_000);
      response.writeHead(status, {
        'content-type': 'application/json',
        'x-ratelimit-requests-limit': String(budget.requests), 'x-ratelimit-requests-remaining': String(Math.max(0, budget.requests - budget.usedRequests)), 'x-ratelimit-requests-reset': reset,
        'x-ratelimit-complexity-limit': String(budget.complexity), 'x-ratelimit-complexity-remaining': String(Math.max(0, budget.complexity - budget.usedComplexity)), 'x-ratelimit-complexity-reset': reset,
        ...extra,
      });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://x').pathname !== '/graphql') return send(404, { errors: [{ message: 'Not found' }] });
    if (request.headers.authorization !== apiKey) {
      return send(400, { errors: [{ message: 'Authentication required, not authenticated', extensions: { code: 'AUTHENTICATION_ERROR', userPresentableMessage: 'You need to authenticate to access this operation.' } }] });
    }
    let payload: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof payload;
    } catch {
      return send(400, { errors: [{ message: 'Body is not valid JSON', extensions: { code: 'BAD_USER_INPUT' } }] });
    }
    if (typeof payload.query !== 'string') return send(400, { errors: [{ message: 'Must provide query string.', extensions: { code: 'BAD_USER_INPUT' } }] });
    let doc: DocumentNode;
    try {
      doc = parse(payload.query);
    } catch (error) {
      violations.push(`syntax: ${(error as Error).message}`);
      return send(400, { errors: [{ message: (error as Error).message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
    }
    const operation = typeof payload.operationName === 'string' ? payload.operationName : '(anonymous)';
    const invalid = validate(schema, doc);
    if (invalid.length) {
      violations.push(...invalid.map((e) => `${operation}: ${e.message}`));
      log.push({ operation, query: payload.query, variables: payload.variables, status: 400 });
      return send(400, { errors: invalid.map((e) => ({ message: e.message, locations: e.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) });
    }
    const complexity = complexityOf(doc);
    budget.usedRequests++;
    budget.usedComplexity += complexity;
    if (budget.usedRequests > budget.requests || budget.usedComplexity > budget.complexity) {
      log.push({ operation, query: payload.query, variables: payload.variables, status: 400 });
      return send(400, { errors: [{ message: 'Rate limit exceeded', extensions: { code: 'RATELIMITED', userPresentableMessage: 'Too many requests' } }] });
    }
    const result = await execute({ schema, document: doc, rootValue, variableValues: (payload.variables ?? {}) as Record<string, unknown>, operationName: typeof payload.operationName === 'string' ? payload.operationName : null });
    // Variable coercion failures (an input field the schema lacks, a wrong type) come back before execution starts: Linear answers them 400.
    const coercionFailed = result.data === undefined && result.errors?.length;
    if (coercionFailed) violations.push(...result.errors!.map((e) => `${operation}: ${e.message}`));
    const status = coercionFailed ? 400 : 200;
    log.push({ operation, query: payload.query, variables: payload.variables, status });
    send(status, {
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors.map((e) => ({ message: e.message, path: e.path, extensions: { code: 'INVALID_INPUT', ...e.extensions } })) } : {}),
    }, { 'x-complexity': String(complexity) });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let teamCount = 0;

  return {
    url, apiKey, users, violations, log,
    createTeam(key = `T${String.fromCharCode(65 + (teamCount % 26))}${++teamCount}`) {
      const team: Team = { id: randomUUID(), key, name: `Team ${key}`, nextNumber: 1 };
      teams.push(team);
      STATES.forEach(([name, type], position) => states.push({ id: randomUUID(), name, type, position, teamId: team.id }));
      return key;
    },
    label(team, name) {
      const id = randomUUID();
      labels.push({ id, name, teamId: teamOf(team).id });
      return id;
    },
    cycle(team, number) {
      const id = randomUUID();
      cycles.push({ id, number, name: null, teamId: teamOf(team).id });
      return id;
    },
    seed(team, count) {
      const t = teamOf(team);
      const todo = states.find((s) => s.teamId === t.id && s.type === 'unstarted')!;
      return Array.from({ length: count }, (_, n) => {
        const at = stamp();
        const issue: LinearIssue = { id: randomUUID(), teamId: t.id, number: t.nextNumber++, title: `Seeded issue ${n + 1}`, description: `Seeded by bob (${n + 1})`, priority: 0, estimate: null, stateId: todo.id, assigneeId: null, labelIds: [], cycleId: null, createdAt: at, updatedAt: at, trashed: false };
        issues.push(issue);
        return issue.id;
      });
    },
    edit(id, patch) {
      const issue = liveIssue(id);
      const before = { ...issue, labelIds: [...issue.labelIds] };
      if (patch.title !== undefined) issue.title = patch.title;
      if (patch.description !== undefined) issue.description = patch.description;
      if (patch.priority !== undefined) issue.priority = patch.priority;
      if (patch.state !== undefined) issue.stateId = states.find((s) => s.teamId === issue.teamId && s.name === patch.state)!.id;
      touch(issue);
      record(before, issue, users.bob.id);
    },
    comment(id, body) {
      const issue = liveIssue(id);
      const at = stamp();
      comments.push({ id: randomUUID(), issueId: issue.id, body, userId: users.bob.id, createdAt: at, updatedAt: at });
      issue.updatedAt = at;
      fire('Comment', 'create', { issueId: issue.id });
    },
    issue: (id) => issues.find((i) => i.id === id && !i.trashed),
    issues: (team) => issues.filter((i) => i.teamId === teamOf(team).id && !i.trashed),
    comments: (id) => comments.filter((c) => c.issueId === id),
    stateName: (issue) => states.find((s) => s.id === issue.stateId)!.name,
    setWebhook(target, secret = 'linear-webhook-secret-0123456789') {
      webhook = target === null ? null : { url: target, secret };
    },
    settleWebhooks: () => Promise.all(deliveries),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
