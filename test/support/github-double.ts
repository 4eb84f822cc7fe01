/**
 * In-memory GitHub REST v3 double for tests and the benchmark. It follows GitHub's documented contract
 * (Link pagination, ETag/304, rate-limit headers, search) and lets a test inject the failures real GitHub produces.
 * Test code only: nothing in the product may import it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  DEFAULT_LABELS, FIXTURE_USERS, fixtureCommentBody, fixtureIssue, isoSeconds, issueBody, prng, renderComment, renderIssue, renderUser,
  type Account, type CommentRecord, type GitHubComment, type GitHubIssue, type IssueRecord, type IssueState, type LabelDef,
  type RenderContext, type StateReason,
} from './github-fixtures';
import { track } from './resources';

export type { GitHubComment, GitHubIssue } from './github-fixtures';

export interface GitHubDoubleOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  token?: string;
  /** Login of the authenticated user (`GET /user`). */
  login?: string;
  /** Freeze the clock at this instant; without it the clock follows real time. */
  now?: Date | string | number;
  /** Primary (core) budget per hour; GitHub gives 5000 to a token. */
  rateLimit?: number;
  /** Search budget per minute; GitHub gives 30. */
  searchRateLimit?: number;
  /** GitHub documents both for an exhausted primary limit. */
  primaryLimitStatus?: 403 | 429;
  searchLagMs?: number;
  latencyMs?: number;
  /** Link URLs use `/repositories/{id}/...` as real GitHub's do; false keeps `/repos/{owner}/{name}/...`. */
  repositoryIdLinks?: boolean;
  htmlBase?: string;
}

export interface NewIssue {
  title?: string | undefined; body?: string | null | undefined; state?: IssueState | undefined;
  stateReason?: StateReason | null | undefined; labels?: string[] | undefined; assignees?: string[] | undefined;
  user?: string | undefined; pullRequest?: boolean | undefined; createdAt?: Date | string | number | undefined;
}
export interface IssueChange {
  title?: string | undefined; body?: string | null | undefined; state?: IssueState | undefined;
  stateReason?: StateReason | null | undefined; labels?: string[] | undefined; assignees?: string[] | undefined;
}
export interface SeedOptions {
  /** Default 0.07: real repositories mix pull requests into the issues listing. */
  pullRequestRatio?: number; closedRatio?: number; commentRatio?: number;
  /** How far back seeded history starts (default 365 days before now); it ends at the clock's now. */
  spanDays?: number; seed?: number;
}

export interface DoubleRequest { method: string; path: string; query: Record<string, string>; headers: IncomingHttpHeaders }
export interface RequestRecord extends Omit<DoubleRequest, 'headers'> {
  seq: number;
  /** 0 while in flight (or hung, or disconnected by a fault). */
  status: number;
  /** Whether the request carried If-None-Match. */
  conditional: boolean;
  at: number;
  fault?: Fault['kind'];
}

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'secondaryRateLimit'; retryAfter?: number; status?: 403 | 429 }
  | { kind: 'latency'; ms: number }
  | { kind: 'hang' }
  | { kind: 'disconnect' };
export interface FaultRule {
  fault: Fault;
  /** How many matching requests it hits (default 1; Infinity until cancelled). */
  times?: number;
  /** Let this many matching requests through first. */
  skip?: number;
  method?: string;
  /** A string must equal the path; a RegExp is tested against it. */
  path?: string | RegExp;
  match?: (req: DoubleRequest) => boolean;
}
export interface FaultHandle {
  readonly hits: number;
  cancel(): void;
  /** Let requests held by a `hang` fault proceed normally. */
  release(): void;
}
type FaultMatch = Pick<FaultRule, 'method' | 'path' | 'match'>;
export type RateResource = 'core' | 'search';
export interface RateState { limit: number; remaining: number; used: number; reset: number }

const DOCS = 'https://docs.github.com/rest';
const SECONDARY_MESSAGE = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ';
const floorSec = (ms: number): number => Math.floor(ms / 1000) * 1000;
const toMs = (t: Date | string | number): number => (t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : t);
const byUpdated = (a: IssueRecord, b: IssueRecord): number => a.updatedAt - b.updatedAt || a.number - b.number;

interface RepoState {
  id: number; owner: Account; name: string; fullName: string; private: boolean; hasIssues: boolean; createdAt: number;
  issues: Map<number, IssueRecord>; deleted: Set<number>; nextNumber: number;
  /** Creation order, which is number order. */
  byNumber: IssueRecord[];
  /** Ascending (updatedAt, number). A change always gets the newest stamp, so it moves to the end without a re-sort. */
  byUpdated: IssueRecord[];
  labels: Map<string, LabelDef>; comments: Map<number, CommentRecord[]>; commentById: Map<number, CommentRecord>;
}

function createClock(start: number | undefined) {
  let frozen = start;
  let offset = 0;
  let lastStamp = 0;
  const now = (): number => frozen ?? Date.now() + offset;
  return {
    now,
    set: (t: Date | string | number): void => { frozen = toMs(t); },
    advance: (ms: number): void => { if (frozen === undefined) offset += ms; else frozen += ms; },
    useRealTime: (): void => { frozen = undefined; offset = 0; },
    /** GitHub stamps whole seconds; every change gets a later second than any before, so `since` never misses one. */
    stamp: (): number => (lastStamp = Math.max(floorSec(now()), lastStamp + 1000)),
    observe: (t: number): void => { lastStamp = Math.max(lastStamp, t); },
  };
}
type Clock = ReturnType<typeof createClock>;

function lowerBound(list: IssueRecord[], since: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as IssueRecord).updatedAt < since) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function removeFromUpdated(repo: RepoState, rec: IssueRecord): void {
  let at = lowerBound(repo.byUpdated, rec.updatedAt);
  while (at < repo.byUpdated.length && repo.byUpdated[at] !== rec) at++;
  if (at < repo.byUpdated.length) repo.byUpdated.splice(at, 1);
}

/** What search sees lags behind the store by `lagMs`, as GitHub's index does. */
function createSearchIndex(clock: Clock, initialLag: number) {
  let lagMs = initialLag;
  const stale = new Map<IssueRecord, IssueRecord | null>();
  const pending: Array<{ rec: IssueRecord; view: IssueRecord; visibleAt: number }> = [];
  const copy = (rec: IssueRecord): IssueRecord => ({ ...rec, labels: [...rec.labels], assignees: [...rec.assignees] });
  return {
    setLag: (ms: number): void => { lagMs = ms; },
    beforeChange(rec: IssueRecord, created: boolean): void {
      if (lagMs > 0 && !stale.has(rec)) stale.set(rec, created ? null : copy(rec));
    },
    afterChange(rec: IssueRecord): void {
      if (stale.has(rec)) pending.push({ rec, view: copy(rec), visibleAt: clock.now() + lagMs });
    },
    forget: (rec: IssueRecord): void => { stale.delete(rec); },
    /** The version of `rec` search can see, or null while it is not yet indexed. */
    view(rec: IssueRecord): IssueRecord | null {
      while (pending[0] && pending[0].visibleAt <= clock.now()) {
        const entry = pending.shift() as (typeof pending)[number];
        if (pending.some((p) => p.rec === entry.rec)) stale.set(entry.rec, entry.view); else stale.delete(entry.rec);
      }
      const seen = stale.get(rec);
      return seen === undefined ? rec : seen;
    },
  };
}

function createStore(clock: Clock, searchLagMs: number) {
  const repos = new Map<string, RepoState>();
  const accounts = new Map<string, Account>(FIXTURE_USERS.map((u) => [u.login, u]));
  const ids = { repo: 700_000_000, account: 120_000_000, label: 5_000_000_000, issue: 3_000_000_000, comment: 3_500_000_000 };
  const search = createSearchIndex(clock, searchLagMs);

  function account(login: string, type: Account['type'] = 'User'): Account {
    const key = login.toLowerCase();
    let found = accounts.get(key);
    if (!found) accounts.set(key, (found = { login, id: ids.account++, type }));
    return found;
  }
  function label(repo: RepoState, name: string): LabelDef {
    let found = repo.labels.get(name.toLowerCase());
    if (!found) repo.labels.set(name.toLowerCase(), (found = { id: ids.label++, name, color: 'ededed', description: null }));
    return found;
  }
  function createRepo(fullName: string, viewer: Account, opts: { private?: boolean; hasIssues?: boolean } = {}): RepoState {
    const [owner, name] = fullName.split('/');
    if (!owner || !name) throw new Error(`repo must be "owner/name", got "${fullName}"`);
    if (repos.has(fullName.toLowerCase())) throw new Error(`GitHub double already has repo ${fullName}`);
    const repo: RepoState = {
      id: ids.repo++, owner: owner === viewer.login ? viewer : account(owner, 'Organization'), name, fullName,
      private: opts.private ?? false, hasIssues: opts.hasIssues ?? true, createdAt: floorSec(clock.now()) - 400 * 86_400_000,
      issues: new Map(), deleted: new Set(), nextNumber: 1, byNumber: [], byUpdated: [],
      labels: new Map(), comments: new Map(), commentById: new Map(),
    };
    for (const l of DEFAULT_LABELS) repo.labels.set(l.name, { ...l, id: ids.label++ });
    repos.set(fullName.toLowerCase(), repo);
    return repo;
  }
  function createIssue(repo: RepoState, input: NewIssue, author: Account): IssueRecord {
    const stamp = clock.stamp();
    const closed = input.state === 'closed';
    const rec: IssueRecord = {
      id: ids.issue++, number: repo.nextNumber++, isPull: input.pullRequest ?? false, title: input.title ?? 'Untitled',
      body: input.body ?? null, bodySeed: undefined, state: closed ? 'closed' : 'open',
      stateReason: closed ? input.stateReason ?? 'completed' : null, labels: (input.labels ?? []).map((n) => label(repo, n)),
      assignees: (input.assignees ?? []).map((l) => account(l)), user: author, comments: 0, commentSeed: undefined,
      createdAt: input.createdAt === undefined ? stamp : floorSec(toMs(input.createdAt)), updatedAt: stamp, closedAt: closed ? stamp : null,
    };
    search.beforeChange(rec, true);
    repo.issues.set(rec.number, rec);
    repo.byNumber.push(rec);
    repo.byUpdated.push(rec);
    search.afterChange(rec);
    return rec;
  }
  /** Applies a change and bumps updated_at only if something actually changed. */
  function updateIssue(repo: RepoState, rec: IssueRecord, change: IssueChange): boolean {
    const labels = change.labels?.map((n) => label(repo, n)) ?? rec.labels;
    const assignees = change.assignees?.map((l) => account(l)) ?? rec.assignees;
    const state = change.state ?? rec.state;
    const reopening = rec.state === 'closed' && state === 'open';
    const stateReason = reopening ? 'reopened'
      : state === 'closed' ? change.stateReason ?? (rec.state === 'closed' ? rec.stateReason : 'completed')
        : change.stateReason !== undefined ? change.stateReason : rec.stateReason;
    const body = change.body === undefined ? issueBody(rec) : change.body;
    const changed = (change.title !== undefined && change.title !== rec.title) || body !== issueBody(rec) || state !== rec.state
      || stateReason !== rec.stateReason || labels.map((l) => l.id).join() !== rec.labels.map((l) => l.id).join()
      || assignees.map((a) => a.id).join() !== rec.assignees.map((a) => a.id).join();
    if (!changed) return false;
    touch(repo, rec, (stamp) => {
      if (change.title !== undefined) rec.title = change.title;
      if (change.body !== undefined) Object.assign(rec, { body: change.body, bodySeed: undefined });
      if (state !== rec.state) rec.closedAt = state === 'closed' ? stamp : null;
      Object.assign(rec, { state, stateReason, labels, assignees });
    });
    return true;
  }
  function touch(repo: RepoState, rec: IssueRecord, apply: (stamp: number) => void): void {
    search.beforeChange(rec, false);
    removeFromUpdated(repo, rec);
    const stamp = clock.stamp();
    apply(stamp);
    rec.updatedAt = stamp;
    repo.byUpdated.push(rec);
    search.afterChange(rec);
  }
  function commentsOf(repo: RepoState, rec: IssueRecord): CommentRecord[] {
    let list = repo.comments.get(rec.number);
    if (list) return list;
    const rand = prng(rec.commentSeed ?? 0);
    const span = rec.updatedAt - rec.createdAt;
    list = Array.from({ length: rec.commentSeed === undefined ? 0 : rec.comments }, (_, i) => {
      const at = rec.createdAt + floorSec((span * (i + 1)) / rec.comments);
      const user = FIXTURE_USERS[Math.floor(rand() * FIXTURE_USERS.length)] as Account;
      return { id: ids.comment++, issueNumber: rec.number, body: fixtureCommentBody(rand), user, createdAt: at, updatedAt: at };
    });
    rec.commentSeed = undefined;
    repo.comments.set(rec.number, list);
    for (const c of list) repo.commentById.set(c.id, c);
    return list;
  }
  function addComment(repo: RepoState, rec: IssueRecord, body: string, user: Account): CommentRecord {
    const list = commentsOf(repo, rec);
    let comment: CommentRecord | undefined;
    // Commenting bumps the issue's updated_at on GitHub, so a `since` walk of issues notices new comments.
    touch(repo, rec, (stamp) => {
      comment = { id: ids.comment++, issueNumber: rec.number, body, user, createdAt: stamp, updatedAt: stamp };
      rec.comments++;
    });
    const added = comment as CommentRecord;
    list.push(added);
    repo.commentById.set(added.id, added);
    return added;
  }
  function seed(repo: RepoState, n: number, opts: SeedOptions): { first: number; last: number; pullRequests: number } {
    const rand = prng(opts.seed ?? 1);
    const mix = { pullRequestRatio: opts.pullRequestRatio ?? 0.07, closedRatio: opts.closedRatio ?? 0.4, commentRatio: opts.commentRatio ?? 0.3 };
    const horizon = floorSec(clock.now());
    const start = horizon - (opts.spanDays ?? 365) * 86_400_000;
    const first = repo.nextNumber;
    let pullRequests = 0;
    for (let i = 0; i < n; i++) {
      const { labelNames, ...fields } = fixtureIssue(rand, floorSec(start + (i / n) * (horizon - start)), horizon, mix);
      const rec: IssueRecord = {
        ...fields, id: ids.issue++, number: repo.nextNumber++, body: null, labels: labelNames.map((l) => label(repo, l)),
        commentSeed: fields.comments > 0 ? Math.floor(rand() * 2 ** 31) : undefined,
      };
      if (rec.isPull) pullRequests++;
      repo.issues.set(rec.number, rec);
      repo.byNumber.push(rec);
      repo.byUpdated.push(rec);
      clock.observe(rec.updatedAt);
    }
    repo.byUpdated.sort(byUpdated);
    return { first, last: repo.nextNumber - 1, pullRequests };
  }
  function deleteIssue(repo: RepoState, rec: IssueRecord): void {
    repo.issues.delete(rec.number);
    repo.deleted.add(rec.number);
    repo.byNumber.splice(repo.byNumber.indexOf(rec), 1);
    removeFromUpdated(repo, rec);
    search.forget(rec);
  }
  const repo = (fullName: string): RepoState | undefined => repos.get(fullName.toLowerCase());
  return { repos, repo, account, createRepo, createIssue, updateIssue, touch, commentsOf, addComment, seed, deleteIssue, search };
}
type Store = ReturnType<typeof createStore>;

interface ListQuery {
  state: string; sort: string; asc: boolean; since: number | undefined; labels: string[]; page: number; perPage: number;
}

/** One page of the issues listing; index arithmetic for the sync engine's common query, one linear pass otherwise. */
function listPage(repo: RepoState, q: ListQuery): { items: IssueRecord[]; total: number } {
  const source = q.sort === 'updated' ? repo.byUpdated
    : q.sort === 'comments' ? [...repo.byNumber].sort((a, b) => a.comments - b.comments || a.number - b.number) : repo.byNumber;
  const lo = q.sort === 'updated' && q.since !== undefined ? lowerBound(source, q.since) : 0;
  const at = (k: number): IssueRecord => source[q.asc ? lo + k : source.length - 1 - k] as IssueRecord;
  const start = (q.page - 1) * q.perPage;
  const items: IssueRecord[] = [];
  if (q.state === 'all' && q.labels.length === 0 && (q.since === undefined || q.sort === 'updated')) {
    const total = source.length - lo;
    for (let k = start; k < Math.min(total, start + q.perPage); k++) items.push(at(k));
    return { items, total };
  }
  let total = 0;
  for (let k = 0; k < source.length - lo; k++) {
    const rec = at(k);
    if (q.state !== 'all' && rec.state !== q.state) continue;
    if (q.since !== undefined && rec.updatedAt < q.since) continue;
    if (!q.labels.every((l) => rec.labels.some((x) => x.name.toLowerCase() === l))) continue;
    if (total >= start && total < start + q.perPage) items.push(rec);
    total++;
  }
  return { items, total };
}

const SEARCH_QUALIFIERS = new Set(['repo', 'is', 'state', 'type', 'in', 'label', 'author']);

/** A small subset of GitHub's issue search syntax: qualifiers above plus bare or quoted terms, matched as substrings. */
function searchIssues(store: Store, query: string): { hits: Array<{ repo: RepoState; rec: IssueRecord }>; missingRepo?: string } {
  const repoNames: string[] = [];
  const terms: string[] = [];
  const filters: Array<(r: IssueRecord) => boolean> = [];
  const fields = new Set<string>();
  for (const token of query.match(/(?:[\w-]+:)?(?:"[^"]*"|\S+)/g) ?? []) {
    const qualifier = /^([\w-]+):(.+)$/.exec(token);
    const key = qualifier?.[1]?.toLowerCase() ?? '';
    const value = (qualifier?.[2] ?? token).replace(/^"|"$/g, '').toLowerCase();
    if (!qualifier || !SEARCH_QUALIFIERS.has(key)) terms.push(token.replace(/^"|"$/g, '').toLowerCase());
    else if (key === 'repo') repoNames.push(value);
    else if (key === 'in') value.split(',').forEach((f) => fields.add(f));
    else if (key === 'label') filters.push((r) => r.labels.some((l) => l.name.toLowerCase() === value));
    else if (key === 'author') filters.push((r) => r.user.login.toLowerCase() === value);
    else if (value === 'open' || value === 'closed') filters.push((r) => r.state === value);
    else if (value === 'issue' || value === 'pr' || value === 'pull-request') filters.push((r) => r.isPull === (value !== 'issue'));
  }
  const scope: RepoState[] = [];
  for (const name of repoNames) {
    const found = store.repo(name);
    if (!found) return { hits: [], missingRepo: name };
    scope.push(found);
  }
  if (fields.size === 0) ['title', 'body'].forEach((f) => fields.add(f));
  const hits: Array<{ repo: RepoState; rec: IssueRecord }> = [];
  for (const repo of repoNames.length > 0 ? scope : [...store.repos.values()]) {
    for (const current of repo.byNumber) {
      const rec = store.search.view(current);
      if (!rec || !filters.every((f) => f(rec))) continue;
      const text = (fields.has('title') ? rec.title.toLowerCase() : '') + '\n'
        + (fields.has('body') && terms.length > 0 ? (issueBody(rec) ?? '').toLowerCase() : '') + '\n'
        + (fields.has('comments') ? store.commentsOf(repo, current).map((c) => c.body.toLowerCase()).join('\n') : '');
      if (terms.every((t) => text.includes(t))) hits.push({ repo, rec });
    }
  }
  return { hits };
}

interface RateBucket { limit: number; remaining: number; resetAt: number; windowMs: number }

function createRateLimits(clock: Clock, core: number, searchLimit: number) {
  const buckets: Record<RateResource, RateBucket> = {
    core: { limit: core, remaining: core, resetAt: 0, windowMs: 3_600_000 },
    search: { limit: searchLimit, remaining: searchLimit, resetAt: 0, windowMs: 60_000 },
  };
  const current = (resource: RateResource): RateBucket => {
    const bucket = buckets[resource];
    if (clock.now() >= bucket.resetAt) Object.assign(bucket, { remaining: bucket.limit, resetAt: clock.now() + bucket.windowMs });
    return bucket;
  };
  const state = (resource: RateResource): RateState => {
    const b = current(resource);
    return { limit: b.limit, remaining: b.remaining, used: b.limit - b.remaining, reset: Math.ceil(b.resetAt / 1000) };
  };
  return {
    state,
    exhausted: (resource: RateResource): boolean => current(resource).remaining <= 0,
    charge: (resource: RateResource): void => { current(resource).remaining--; },
    set(resource: RateResource, opts: { limit?: number; remaining?: number; resetInMs?: number }): void {
      const b = current(resource);
      if (opts.limit !== undefined) b.limit = opts.limit;
      b.remaining = Math.min(b.limit, opts.remaining ?? b.remaining);
      if (opts.resetInMs !== undefined) b.resetAt = clock.now() + opts.resetInMs;
    },
    headers(resource: RateResource): Record<string, string> {
      const s = state(resource);
      return {
        'x-ratelimit-limit': String(s.limit), 'x-ratelimit-remaining': String(s.remaining), 'x-ratelimit-used': String(s.used),
        'x-ratelimit-reset': String(s.reset), 'x-ratelimit-resource': resource,
      };
    },
  };
}

interface ActiveRule { rule: FaultRule; left: number; skip: number; hits: number; held: Array<() => void> }

function createFaults() {
  let rules: ActiveRule[] = [];
  const matches = ({ rule }: ActiveRule, req: DoubleRequest): boolean =>
    (rule.method === undefined || rule.method.toUpperCase() === req.method)
    && (rule.path === undefined || (typeof rule.path === 'string' ? rule.path === req.path : rule.path.test(req.path)))
    && (rule.match === undefined || rule.match(req));
  return {
    inject(rule: FaultRule): FaultHandle {
      const active: ActiveRule = { rule, left: rule.times ?? 1, skip: rule.skip ?? 0, hits: 0, held: [] };
      rules.push(active);
      const cancel = (): void => { rules = rules.filter((r) => r !== active); };
      return { get hits() { return active.hits; }, cancel, release: () => { cancel(); active.held.splice(0).forEach((go) => go()); } };
    },
    clear(): void { rules = []; },
    /** Latency faults delay and fall through; the first other matching fault decides the response. */
    async apply(req: DoubleRequest, onHit: (kind: Fault['kind']) => void): Promise<Fault | undefined> {
      for (const active of [...rules]) {
        if (active.left <= 0 || !matches(active, req)) continue;
        if (active.skip > 0) { active.skip--; continue; }
        active.left--;
        active.hits++;
        if (active.left <= 0 && active.rule.fault.kind !== 'hang') rules = rules.filter((r) => r !== active);
        const fault = active.rule.fault;
        onHit(fault.kind);
        if (fault.kind === 'latency') await sleep(fault.ms);
        else if (fault.kind === 'hang') await new Promise<void>((go) => active.held.push(go));
        else return fault;
      }
      return undefined;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Reply { status: number; body?: unknown; headers?: Record<string, string>; charge: boolean }
interface Call { method: string; url: URL; base: string; body: unknown; headers: IncomingHttpHeaders }
type Handler = (call: Call, params: string[]) => Reply;

const ok = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({ status, body, headers, charge: true });
const fail = (status: number, message: string, extra: object = {}): Reply => ({ status, body: { message, documentation_url: DOCS, ...extra }, charge: true });
const validationFailed = (resource: string, field: string, code: string): Reply =>
  fail(422, 'Validation Failed', { errors: [{ resource, field, code }], status: '422' });

function faultReply(fault: Fault): Reply {
  if (fault.kind === 'secondaryRateLimit') {
    const message = `${SECONDARY_MESSAGE}${randomBytes(4).toString('hex').toUpperCase()}.`;
    return { ...fail(fault.status ?? 403, message), headers: { 'retry-after': String(fault.retryAfter ?? 60) }, charge: false };
  }
  if (fault.kind === 'status') {
    const body = fault.body ?? { message: fault.status === 503 ? 'Service Unavailable' : 'Server Error' };
    return { status: fault.status, body, headers: fault.headers ?? {}, charge: false };
  }
  throw new Error(`fault ${fault.kind} has no reply`);
}

function pageParams(url: URL): { page: number; perPage: number } {
  const perPage = Number.parseInt(url.searchParams.get('per_page') ?? '', 10);
  const page = Number.parseInt(url.searchParams.get('page') ?? '', 10);
  return { perPage: perPage > 0 ? Math.min(perPage, 100) : 30, page: page > 0 ? page : 1 };
}

/** GitHub's order is prev, next, last, first; a response that fits on one page has no Link at all. */
function linkHeader(linkBase: URL, page: number, perPage: number, total: number): Record<string, string> {
  const last = Math.max(1, Math.ceil(total / perPage));
  if (last === 1 && page === 1) return {};
  const rel = (p: number, name: string): string => {
    const u = new URL(linkBase);
    u.searchParams.set('page', String(p));
    return `<${u.href}>; rel="${name}"`;
  };
  const links = [page > 1 ? rel(Math.min(page - 1, last), 'prev') : '', page < last ? rel(page + 1, 'next') : '',
    page < last ? rel(last, 'last') : '', page > 1 ? rel(1, 'first') : ''];
  return { link: links.filter(Boolean).join(', ') };
}

const labelName = z.union([z.string(), z.object({ name: z.string() }).transform((l) => l.name)]);
const issueWrite = z.object({
  title: z.union([z.string(), z.number()]).transform(String).optional(),
  body: z.string().nullable().optional(),
  state: z.enum(['open', 'closed']).optional(),
  state_reason: z.enum(['completed', 'not_planned', 'reopened', 'duplicate']).nullable().optional(),
  labels: z.array(labelName).optional(),
  assignees: z.array(z.string()).optional(),
  assignee: z.string().nullable().optional(),
});
const commentWrite = z.object({ body: z.string().min(1) });

interface RouterDeps { store: Store; viewer: Account; clock: Clock; limits: ReturnType<typeof createRateLimits>; htmlBase: string; repositoryIdLinks: boolean }

function createRouter({ store, viewer, clock, limits, htmlBase, repositoryIdLinks }: RouterDeps): (call: Call) => Reply {
  const ctx = (call: Call, repo?: RepoState): RenderContext => ({ apiBase: call.base, htmlBase, fullName: repo?.fullName ?? '' });
  const paged = (call: Call, repo: RepoState | undefined, total: number, body: (from: number, to: number) => unknown): Reply => {
    const { page, perPage } = pageParams(call.url);
    const linkBase = new URL(call.url);
    if (repo && repositoryIdLinks) linkBase.pathname = linkBase.pathname.replace(/^\/repos\/[^/]+\/[^/]+/, `/repositories/${repo.id}`);
    return ok(body((page - 1) * perPage, page * perPage), 200, linkHeader(linkBase, page, perPage, total));
  };
  const renderRepo = (call: Call, repo: RepoState) => ({
    id: repo.id, node_id: `R_kgDO${repo.id}`, name: repo.name, full_name: repo.fullName, private: repo.private,
    owner: renderUser(repo.owner, ctx(call)), html_url: `${htmlBase}/${repo.fullName}`, url: `${call.base}/repos/${repo.fullName}`,
    description: null, fork: false, archived: false, disabled: false, has_issues: repo.hasIssues, default_branch: 'main',
    visibility: repo.private ? 'private' : 'public', open_issues_count: repo.byNumber.filter((r) => r.state === 'open').length,
    created_at: isoSeconds(repo.createdAt), updated_at: isoSeconds(repo.byUpdated.at(-1)?.updatedAt ?? repo.createdAt),
    pushed_at: isoSeconds(repo.createdAt), permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  });
  const since = (call: Call): number | undefined | 'invalid' => {
    const raw = call.url.searchParams.get('since');
    return raw === null ? undefined : Number.isNaN(Date.parse(raw)) ? 'invalid' : Date.parse(raw);
  };
  const invalid = (error: z.ZodError, resource: string): Reply => validationFailed(resource, String(error.issues[0]?.path[0] ?? ''), 'invalid');
  const inRepo = (h: (call: Call, repo: RepoState, rest: string[]) => Reply): Handler => (call, [owner, name, ...rest]) => {
    const repo = store.repo(`${owner}/${name}`);
    return repo ? h(call, repo, rest) : fail(404, 'Not Found');
  };
  const withIssue = (h: (call: Call, repo: RepoState, rec: IssueRecord) => Reply): Handler => inRepo((call, repo, [n]) => {
    if (repo.deleted.has(Number(n))) return fail(410, 'This issue was deleted');
    const rec = repo.issues.get(Number(n));
    return rec ? h(call, repo, rec) : fail(404, 'Not Found');
  });
  const withComment = (h: (call: Call, repo: RepoState, comment: CommentRecord) => Reply): Handler => inRepo((call, repo, [id]) => {
    const comment = repo.commentById.get(Number(id));
    return comment ? h(call, repo, comment) : fail(404, 'Not Found');
  });
  const orgs = (): Account[] => [...new Set([...store.repos.values()].map((r) => r.owner))].filter((o) => o.type === 'Organization');
  const R = '/repos/([^/]+)/([^/]+)';

  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/user$/, (call) => ok({ ...renderUser(viewer, ctx(call)), name: viewer.login })],
    ['GET', /^\/user\/orgs$/, (call) => paged(call, undefined, orgs().length, (a, b) => orgs().slice(a, b).map((o) => ({
      login: o.login, id: o.id, node_id: `O_kgDO${o.id}`, url: `${call.base}/orgs/${o.login}`, repos_url: `${call.base}/orgs/${o.login}/repos`, description: null,
    })))],
    ['GET', /^\/user\/repos$/, (call) => {
      const all = [...store.repos.values()];
      return paged(call, undefined, all.length, (a, b) => all.slice(a, b).map((r) => renderRepo(call, r)));
    }],
    ['GET', /^\/orgs\/([^/]+)\/repos$/, (call, [org]) => {
      const owned = [...store.repos.values()].filter((r) => r.owner.login.toLowerCase() === org?.toLowerCase());
      if (!orgs().some((o) => o.login.toLowerCase() === org?.toLowerCase())) return fail(404, 'Not Found');
      return paged(call, undefined, owned.length, (a, b) => owned.slice(a, b).map((r) => renderRepo(call, r)));
    }],
    ['GET', /^\/rate_limit$/, () => ({ ...ok({ resources: { core: limits.state('core'), search: limits.state('search') }, rate: limits.state('core') }), charge: false })],
    ['GET', new RegExp(`^${R}$`), inRepo((call, repo) => ok(renderRepo(call, repo)))],
    ['GET', new RegExp(`^${R}/issues$`), inRepo((call, repo) => {
      if (!repo.hasIssues) return fail(410, 'Issues are disabled for this repo');
      const p = call.url.searchParams;
      const state = p.get('state') ?? 'open';
      const from = since(call);
      if (from === 'invalid') return validationFailed('Issue', 'since', 'invalid');
      if (!['open', 'closed', 'all'].includes(state)) return validationFailed('Issue', 'state', 'invalid');
      const { page, perPage } = pageParams(call.url);
      const labels = (p.get('labels') ?? '').split(',').filter(Boolean).map((l) => l.trim().toLowerCase());
      const q = { state, sort: p.get('sort') ?? 'created', asc: p.get('direction') === 'asc', since: from, labels, page, perPage };
      const { items, total } = listPage(repo, q);
      return paged(call, repo, total, () => items.map((r) => renderIssue(r, ctx(call, repo))));
    })],
    ['POST', new RegExp(`^${R}/issues$`), inRepo((call, repo) => {
      const parsed = issueWrite.safeParse(call.body);
      if (!parsed.success) return invalid(parsed.error, 'Issue');
      const w = parsed.data;
      if (!w.title) return validationFailed('Issue', 'title', 'missing_field');
      const rec = store.createIssue(repo, { title: w.title, body: w.body, labels: w.labels, assignees: assigneesOf(w) }, viewer);
      return ok(renderIssue(rec, ctx(call, repo)), 201, { location: `${call.base}/repos/${repo.fullName}/issues/${rec.number}` });
    })],
    ['GET', new RegExp(`^${R}/issues/comments/(\\d+)$`), withComment((call, repo, c) => ok(renderComment(c, ctx(call, repo))))],
    ['PATCH', new RegExp(`^${R}/issues/comments/(\\d+)$`), withComment((call, repo, c) => {
      const parsed = commentWrite.safeParse(call.body);
      if (!parsed.success) return validationFailed('IssueComment', 'body', 'missing_field');
      // Editing a comment moves the comment's updated_at, not the issue's.
      if (parsed.data.body !== c.body) Object.assign(c, { body: parsed.data.body, updatedAt: clock.stamp() });
      return ok(renderComment(c, ctx(call, repo)));
    })],
    ['GET', new RegExp(`^${R}/issues/(\\d+)$`), withIssue((call, repo, rec) => ok(renderIssue(rec, ctx(call, repo))))],
    ['PATCH', new RegExp(`^${R}/issues/(\\d+)$`), withIssue((call, repo, rec) => {
      const parsed = issueWrite.safeParse(call.body);
      if (!parsed.success) return invalid(parsed.error, 'Issue');
      const w = parsed.data;
      if (w.title === '') return validationFailed('Issue', 'title', 'missing_field');
      store.updateIssue(repo, rec, { title: w.title, body: w.body, state: w.state, stateReason: w.state_reason, labels: w.labels, assignees: assigneesOf(w) });
      return ok(renderIssue(rec, ctx(call, repo)));
    })],
    ['GET', new RegExp(`^${R}/issues/(\\d+)/comments$`), withIssue((call, repo, rec) => {
      const from = since(call);
      if (from === 'invalid') return validationFailed('IssueComment', 'since', 'invalid');
      const list = store.commentsOf(repo, rec).filter((c) => from === undefined || c.updatedAt >= from);
      return paged(call, repo, list.length, (a, b) => list.slice(a, b).map((c) => renderComment(c, ctx(call, repo))));
    })],
    ['POST', new RegExp(`^${R}/issues/(\\d+)/comments$`), withIssue((call, repo, rec) => {
      const parsed = commentWrite.safeParse(call.body);
      if (!parsed.success) return validationFailed('IssueComment', 'body', 'missing_field');
      const comment = store.addComment(repo, rec, parsed.data.body, viewer);
      return ok(renderComment(comment, ctx(call, repo)), 201, { location: `${call.base}/repos/${repo.fullName}/issues/comments/${comment.id}` });
    })],
    ['GET', /^\/search\/issues$/, (call) => searchReply(call)],
  ];

  function searchReply(call: Call): Reply {
    const p = call.url.searchParams;
    const q = p.get('q');
    if (!q) return validationFailed('Search', 'q', 'missing');
    const { hits, missingRepo } = searchIssues(store, q);
    if (missingRepo) return validationFailed('Search', 'q', 'invalid');
    const sort = p.get('sort');
    const key = (r: IssueRecord): number => (sort === 'created' ? r.createdAt : sort === 'comments' ? r.comments : r.updatedAt);
    hits.sort((x, y) => (p.get('order') === 'asc' ? 1 : -1) * (key(x.rec) - key(y.rec) || x.rec.number - y.rec.number));
    // GitHub serves at most the first 1000 results of any search.
    const reachable = hits.slice(0, 1000);
    return paged(call, undefined, reachable.length, (a, b) => ({
      total_count: hits.length, incomplete_results: false,
      items: reachable.slice(a, b).map(({ repo, rec }) => ({ ...renderIssue(rec, ctx(call, repo)), score: 1 })),
    }));
  }

  return (call) => {
    // Link URLs point at /repositories/{id}/..., so those paths are served as their /repos/{owner}/{name} twins.
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(call.url.pathname);
    const repo = byId && [...store.repos.values()].find((r) => r.id === Number(byId[1]));
    const path = repo ? `/repos/${repo.fullName}${byId[2] ?? ''}` : call.url.pathname;
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(path);
      if (m && method === call.method) return handler(call, m.slice(1));
    }
    return fail(404, 'Not Found');
  };
}

const assigneesOf = (w: { assignees?: string[] | undefined; assignee?: string | null | undefined }): string[] | undefined =>
  w.assignees ?? (w.assignee === undefined ? undefined : w.assignee === null ? [] : [w.assignee]);

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return (ifNoneMatch ?? '').split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === etag || t === '*');
}

/** An empty body reads as `{}`; undefined means it was not JSON. */
function parseJson(raw: string): unknown {
  try {
    return raw ? (JSON.parse(raw) as unknown) : {};
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface RequestFilter { method?: string; path?: string | RegExp; status?: number; conditional?: boolean }

/** The running double and the levers a test pulls on it. */
export interface GitHubDouble {
  readonly url: string;
  readonly token: string;
  readonly login: string;
  setToken(token: string): void;
  /** Every request fails with 401 until setToken. */
  revokeToken(): void;
  now(): Date;
  /** Freezes the clock at `t`; it then moves only through advanceTime. */
  setTime(t: Date | string | number): void;
  advanceTime(ms: number): void;
  useRealTime(): void;
  createRepo(fullName: string, opts?: { private?: boolean; hasIssues?: boolean }): void;
  seedIssues(repo: string, count: number, opts?: SeedOptions): { first: number; last: number; pullRequests: number };
  addIssue(repo: string, input?: NewIssue): GitHubIssue;
  /** A remote edit: always bumps updated_at, even when no field changes. */
  editIssue(repo: string, number: number, change: IssueChange): GitHubIssue;
  addComment(repo: string, number: number, body: string, opts?: { user?: string }): GitHubComment;
  editComment(repo: string, commentId: number, body: string): GitHubComment;
  /** Afterwards the issue answers 410 and leaves listings and search. */
  deleteIssue(repo: string, number: number): void;
  getIssue(repo: string, number: number): GitHubIssue | undefined;
  listIssues(repo: string, opts?: { state?: IssueState | 'all' }): GitHubIssue[];
  listComments(repo: string, number: number): GitHubComment[];
  requests(filter?: RequestFilter): RequestRecord[];
  countRequests(filter?: RequestFilter): number;
  /** GET requests for issue-listing pages of `repo`, by either of its paths. */
  pageRequests(repo: string): number;
  resetRequests(): void;
  inject(rule: FaultRule): FaultHandle;
  /** The next `count` matching requests answer `status` (default 502). */
  failNext(count: number, status?: number, where?: FaultMatch): FaultHandle;
  secondaryRateLimit(opts?: { retryAfter?: number; times?: number; status?: 403 | 429 } & FaultMatch): FaultHandle;
  tooManyRequests(opts?: { retryAfter?: number; times?: number } & FaultMatch): FaultHandle;
  /** Holds the next matching request open until release() (or close()). */
  hangNext(where?: FaultMatch): FaultHandle;
  setLatency(ms: number): void;
  clearFaults(): void;
  rateLimit(resource?: RateResource): RateState;
  setRateLimit(opts: { resource?: RateResource; limit?: number; remaining?: number; resetInMs?: number }): void;
  setSearchLag(ms: number): void;
  close(): Promise<void>;
}

/** Starts the double on a local port; `await handle.close()` when done. */
export async function startGitHubDouble(opts: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  const clock = createClock(opts.now === undefined ? undefined : toMs(opts.now));
  const store = createStore(clock, opts.searchLagMs ?? 0);
  const viewer = store.account(opts.login ?? 'trackbridge-bot');
  const limits = createRateLimits(clock, opts.rateLimit ?? 5000, opts.searchRateLimit ?? 30);
  const faults = createFaults();
  const htmlBase = opts.htmlBase ?? 'https://github.com';
  const route = createRouter({ store, viewer, clock, limits, htmlBase, repositoryIdLinks: opts.repositoryIdLinks ?? true });
  let token = opts.token ?? `ghp_${randomBytes(18).toString('base64url')}`;
  let latencyMs = opts.latencyMs ?? 0;
  let log: RequestRecord[] = [];
  let seq = 0;

  function authorize(url: URL, headers: IncomingHttpHeaders, resource: RateResource): Reply | undefined {
    const presented = /^(?:bearer|token)\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    if (presented !== token) return { ...fail(401, 'Bad credentials'), charge: false };
    if (url.pathname === '/rate_limit' || !limits.exhausted(resource)) return undefined;
    const message = `API rate limit exceeded for user ID ${viewer.id}. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(4).toString('hex').toUpperCase()}.`;
    return { ...fail(opts.primaryLimitStatus ?? 403, message), charge: false };
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams);
    const entry: RequestRecord = { seq: ++seq, method, path: url.pathname, query, status: 0, conditional: req.headers['if-none-match'] !== undefined, at: clock.now() };
    log.push(entry);
    const raw = await readBody(req);
    if (latencyMs > 0) await sleep(latencyMs);
    const fault = await faults.apply({ method, path: url.pathname, query, headers: req.headers }, (kind) => { entry.fault = kind; });
    if (fault?.kind === 'disconnect') { req.socket.destroy(); return; }
    const resource: RateResource = url.pathname.startsWith('/search/') ? 'search' : 'core';
    let reply = fault ? faultReply(fault) : authorize(url, req.headers, resource);
    if (!reply) {
      const body = parseJson(raw);
      reply = body === undefined ? fail(400, 'Problems parsing JSON') : route({ method, url, base: url.origin, body, headers: req.headers });
    }
    let status = reply.status;
    let payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json', 'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(), ...reply.headers,
    };
    if (method === 'GET' && status === 200) {
      headers.etag = `"${createHash('sha1').update(payload).digest('hex')}"`;
      // GitHub documents that a 304 does not count against the primary rate limit.
      if (etagMatches(req.headers['if-none-match'], headers.etag)) { status = 304; payload = ''; }
    }
    if (reply.charge && status !== 304) limits.charge(resource);
    res.writeHead(status, { ...headers, ...limits.headers(resource) }).end(payload);
    entry.status = status;
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `double failed: ${String(err)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const untrack = track(`github double ${(server.address() as AddressInfo).port}`);
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const render = (repo: RepoState): RenderContext => ({ apiBase: url, htmlBase, fullName: repo.fullName });
  const repoOf = (name: string): RepoState => {
    const found = store.repo(name);
    if (!found) throw new Error(`GitHub double has no repo ${name}`);
    return found;
  };
  const issueOf = (name: string, number: number): [RepoState, IssueRecord] => {
    const repo = repoOf(name);
    const rec = repo.issues.get(number);
    if (!rec) throw new Error(`GitHub double has no issue ${name}#${number}`);
    return [repo, rec];
  };
  const matching = (filter: RequestFilter = {}): RequestRecord[] => log.filter((r) =>
    (filter.method === undefined || r.method === filter.method.toUpperCase()) && (filter.status === undefined || r.status === filter.status)
    && (filter.conditional === undefined || r.conditional === filter.conditional)
    && (filter.path === undefined || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))));

  return {
    url,
    get token() { return token; },
    login: viewer.login,
    setToken: (t) => { token = t; },
    revokeToken: () => { token = `revoked-${randomBytes(8).toString('hex')}`; },
    now: () => new Date(clock.now()),
    setTime: (t) => clock.set(t),
    advanceTime: (ms) => clock.advance(ms),
    useRealTime: () => clock.useRealTime(),
    createRepo: (fullName, repoOpts) => { store.createRepo(fullName, viewer, repoOpts); },
    seedIssues: (name, count, seedOpts = {}) => store.seed(store.repo(name) ?? store.createRepo(name, viewer), count, seedOpts),
    addIssue: (name, input = {}) => {
      const repo = repoOf(name);
      const author = input.user === undefined ? viewer : store.account(input.user);
      return renderIssue(store.createIssue(repo, { title: `Issue created at ${isoSeconds(clock.now())}`, ...input }, author), render(repo));
    },
    editIssue: (name, number, change) => {
      const [repo, rec] = issueOf(name, number);
      if (!store.updateIssue(repo, rec, change)) store.touch(repo, rec, () => undefined);
      return renderIssue(rec, render(repo));
    },
    addComment: (name, number, body, commentOpts = {}) => {
      const [repo, rec] = issueOf(name, number);
      const user = commentOpts.user === undefined ? viewer : store.account(commentOpts.user);
      return renderComment(store.addComment(repo, rec, body, user), render(repo));
    },
    editComment: (name, commentId, body) => {
      const repo = repoOf(name);
      const comment = repo.commentById.get(commentId);
      if (!comment) throw new Error(`GitHub double has no comment ${commentId} in ${name}`);
      Object.assign(comment, { body, updatedAt: clock.stamp() });
      return renderComment(comment, render(repo));
    },
    deleteIssue: (name, number) => { store.deleteIssue(...issueOf(name, number)); },
    getIssue: (name, number) => {
      const repo = repoOf(name);
      const rec = repo.issues.get(number);
      return rec && renderIssue(rec, render(repo));
    },
    listIssues: (name, listOpts = {}) => repoOf(name).byNumber
      .filter((r) => (listOpts.state ?? 'all') === 'all' || r.state === listOpts.state).map((r) => renderIssue(r, render(repoOf(name)))),
    listComments: (name, number) => {
      const [repo, rec] = issueOf(name, number);
      return store.commentsOf(repo, rec).map((c) => renderComment(c, render(repo)));
    },
    requests: (filter) => matching(filter),
    countRequests: (filter) => matching(filter).length,
    pageRequests: (name) => {
      const repo = repoOf(name);
      const paths = [`/repos/${repo.fullName}/issues`.toLowerCase(), `/repositories/${repo.id}/issues`];
      return log.filter((r) => r.method === 'GET' && paths.includes(r.path.toLowerCase())).length;
    },
    resetRequests: () => { log = []; },
    inject: (rule) => faults.inject(rule),
    failNext: (count, status = 502, where = {}) => faults.inject({ ...where, times: count, fault: { kind: 'status', status } }),
    secondaryRateLimit: ({ retryAfter, times, status, ...where } = {}) =>
      faults.inject({ ...where, times: times ?? 1, fault: { kind: 'secondaryRateLimit', retryAfter: retryAfter ?? 60, status: status ?? 403 } }),
    tooManyRequests: ({ retryAfter, times, ...where } = {}) =>
      faults.inject({ ...where, times: times ?? 1, fault: { kind: 'secondaryRateLimit', retryAfter: retryAfter ?? 60, status: 429 } }),
    hangNext: (where = {}) => faults.inject({ ...where, fault: { kind: 'hang' } }),
    setLatency: (ms) => { latencyMs = ms; },
    clearFaults: () => faults.clear(),
    rateLimit: (resource = 'core') => limits.state(resource),
    setRateLimit: ({ resource = 'core', ...rest }) => limits.set(resource, rest),
    setSearchLag: (ms) => store.search.setLag(ms),
    close: () => new Promise<void>((resolve) => {
      server.close(() => { untrack(); resolve(); });
      server.closeAllConnections();
    }),
  };
}
