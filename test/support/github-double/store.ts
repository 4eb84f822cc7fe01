/** Repositories, issues and comments as GitHub keeps them, with the two orders the listing endpoints serve. */
import {
  DEFAULT_LABELS, FIXTURE_USERS, fixtureCommentBody, fixtureIssue, issueBody, prng,
  type Account, type CommentRecord, type IssueRecord, type IssueState, type LabelDef, type StateReason,
} from '../github-fixtures';
import { floorSec, toMs, type Clock } from './clock';
import { createSearchIndex } from './search-index';

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

const byUpdated = (a: IssueRecord, b: IssueRecord): number => a.updatedAt - b.updatedAt || a.number - b.number;

export interface RepoState {
  id: number; owner: Account; name: string; fullName: string; private: boolean; hasIssues: boolean; createdAt: number;
  issues: Map<number, IssueRecord>; deleted: Set<number>; nextNumber: number;
  /** Creation order, which is number order. */
  byNumber: IssueRecord[];
  /** Ascending (updatedAt, number). A change always gets the newest stamp, so it moves to the end without a re-sort. */
  byUpdated: IssueRecord[];
  labels: Map<string, LabelDef>; comments: Map<number, CommentRecord[]>; commentById: Map<number, CommentRecord>;
  /** Issue events by issue number, oldest first (GET /repos/{owner}/{repo}/issues/{number}/events). */
  events: Map<number, EventRecord[]>;
}

/** An issue event as GitHub records it for the changes the double makes: renames, state, labels, assignees. */
export interface EventRecord {
  id: number; event: 'renamed' | 'closed' | 'reopened' | 'labeled' | 'unlabeled' | 'assigned' | 'unassigned';
  actor: Account; createdAt: number; rename?: { from: string; to: string }; label?: LabelDef; assignee?: Account;
}

/** A change GitHub would send a webhook for (see webhooks.ts); `changes` holds the previous values of an edit. */
export type StoreChange =
  | { event: 'issues'; action: string; repo: RepoState; rec: IssueRecord; actor: Account; changes?: Record<string, { from: string }> }
  | { event: 'issue_comment'; action: string; repo: RepoState; rec: IssueRecord; comment: CommentRecord; actor: Account; changes?: Record<string, { from: string }> };

/** The webhook action of an issue change, by GitHub's precedence: state first, then the edit, labels, assignees. */
function issueAction(rec: IssueRecord, before: Pick<IssueRecord, 'title' | 'state' | 'labels' | 'assignees'>, bodyBefore: string | null): { action: string; changes?: Record<string, { from: string }> } {
  if (rec.state !== before.state) return { action: rec.state === 'closed' ? 'closed' : 'reopened' };
  const changes: Record<string, { from: string }> = {};
  if (rec.title !== before.title) changes.title = { from: before.title };
  if (issueBody(rec) !== bodyBefore) changes.body = { from: bodyBefore ?? '' };
  if (Object.keys(changes).length) return { action: 'edited', changes };
  if (rec.labels.length !== before.labels.length || rec.labels.some((l) => !before.labels.includes(l))) {
    return { action: rec.labels.some((l) => !before.labels.includes(l)) ? 'labeled' : 'unlabeled' };
  }
  return { action: rec.assignees.some((a) => !before.assignees.includes(a)) ? 'assigned' : 'unassigned' };
}

export function lowerBound(list: IssueRecord[], since: number): number {
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


export function createStore(clock: Clock, searchLagMs: number) {
  const repos = new Map<string, RepoState>();
  const accounts = new Map<string, Account>(FIXTURE_USERS.map((u) => [u.login, u]));
  const ids = { repo: 700_000_000, account: 120_000_000, label: 5_000_000_000, issue: 3_000_000_000, comment: 3_500_000_000, event: 9_000_000_000 };
  const search = createSearchIndex(clock, searchLagMs);
  const listeners: ((change: StoreChange) => void)[] = [];
  const emit = (change: StoreChange) => { for (const l of listeners) l(change); };

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
      labels: new Map(), comments: new Map(), commentById: new Map(), events: new Map(),
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
    emit({ event: 'issues', action: 'opened', repo, rec, actor: author });
    return rec;
  }
  /** The events GitHub records for a change by `actor`, stamped with the change. */
  function recordEvents(repo: RepoState, rec: IssueRecord, before: Pick<IssueRecord, 'title' | 'state' | 'labels' | 'assignees'>, actor: Account, at: number): void {
    const list = repo.events.get(rec.number) ?? [];
    const add = (event: EventRecord['event'], extra: Partial<EventRecord> = {}) => list.push({ id: ids.event++, event, actor, createdAt: at, ...extra });
    if (rec.title !== before.title) add('renamed', { rename: { from: before.title, to: rec.title } });
    if (rec.state !== before.state) add(rec.state === 'closed' ? 'closed' : 'reopened');
    for (const l of rec.labels) if (!before.labels.includes(l)) add('labeled', { label: l });
    for (const l of before.labels) if (!rec.labels.includes(l)) add('unlabeled', { label: l });
    for (const a of rec.assignees) if (!before.assignees.includes(a)) add('assigned', { assignee: a });
    for (const a of before.assignees) if (!rec.assignees.includes(a)) add('unassigned', { assignee: a });
    repo.events.set(rec.number, list);
  }
  /** Applies a change by `actor` and bumps updated_at only if something actually changed. */
  function updateIssue(repo: RepoState, rec: IssueRecord, change: IssueChange, actor?: Account): boolean {
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
    const before = { title: rec.title, state: rec.state, labels: rec.labels, assignees: rec.assignees };
    const bodyBefore = issueBody(rec);
    touch(repo, rec, (stamp) => {
      if (change.title !== undefined) rec.title = change.title;
      if (change.body !== undefined) Object.assign(rec, { body: change.body, bodySeed: undefined });
      if (state !== rec.state) rec.closedAt = state === 'closed' ? stamp : null;
      Object.assign(rec, { state, stateReason, labels, assignees });
      recordEvents(repo, rec, before, actor ?? rec.user, stamp);
    });
    emit({ event: 'issues', repo, rec, actor: actor ?? rec.user, ...issueAction(rec, before, bodyBefore) });
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
    emit({ event: 'issue_comment', action: 'created', repo, rec, comment: added, actor: user });
    return added;
  }
  /** A comment edit moves the comment's updated_at, not the issue's (as on GitHub). */
  function editComment(repo: RepoState, comment: CommentRecord, body: string, actor: Account): void {
    const from = comment.body;
    Object.assign(comment, { body, updatedAt: clock.stamp() });
    const rec = repo.issues.get(comment.issueNumber);
    if (rec) emit({ event: 'issue_comment', action: 'edited', repo, rec, comment, actor, changes: { body: { from } } });
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
  function deleteIssue(repo: RepoState, rec: IssueRecord, actor?: Account): void {
    repo.issues.delete(rec.number);
    repo.deleted.add(rec.number);
    repo.byNumber.splice(repo.byNumber.indexOf(rec), 1);
    removeFromUpdated(repo, rec);
    search.forget(rec);
    emit({ event: 'issues', action: 'deleted', repo, rec, actor: actor ?? rec.user });
  }
  const repo = (fullName: string): RepoState | undefined => repos.get(fullName.toLowerCase());
  const onChange = (listener: (change: StoreChange) => void): void => { listeners.push(listener); };
  return { repos, repo, account, createRepo, createIssue, updateIssue, touch, commentsOf, addComment, editComment, seed, deleteIssue, search, onChange };
}
export type Store = ReturnType<typeof createStore>;
