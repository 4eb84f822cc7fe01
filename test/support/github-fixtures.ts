/**
 * GitHub REST v3 shapes and deterministic, realistic issue generators for the GitHub test double.
 * Records are what the double stores; `render*` turns them into the JSON GitHub would send.
 */

export type IssueState = 'open' | 'closed';
export type StateReason = 'completed' | 'not_planned' | 'reopened' | 'duplicate';

export interface Account { login: string; id: number; type: 'User' | 'Organization' | 'Bot' }
export interface LabelDef { id: number; name: string; color: string; description: string | null }

/** A stored issue or pull request. `bodySeed` stands in for a generated body so 100k seeded issues stay light. */
export interface IssueRecord {
  id: number;
  number: number;
  isPull: boolean;
  title: string;
  body: string | null;
  bodySeed: number | undefined;
  state: IssueState;
  stateReason: StateReason | null;
  labels: LabelDef[];
  assignees: Account[];
  user: Account;
  comments: number;
  /** Set while a seeded issue's comments exist only as a count; they are generated on first read. */
  commentSeed: number | undefined;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
}

export interface CommentRecord { id: number; issueNumber: number; body: string; user: Account; createdAt: number; updatedAt: number }

export interface GitHubUser { login: string; id: number; node_id: string; avatar_url: string; url: string; html_url: string; type: string; site_admin: boolean }
export interface GitHubLabel { id: number; node_id: string; url: string; name: string; color: string; default: boolean; description: string | null }
export interface GitHubIssue {
  id: number; node_id: string; number: number; title: string; body: string | null;
  state: IssueState; state_reason: StateReason | null; locked: boolean;
  labels: GitHubLabel[]; assignee: GitHubUser | null; assignees: GitHubUser[]; user: GitHubUser; milestone: null;
  comments: number; created_at: string; updated_at: string; closed_at: string | null;
  author_association: string; active_lock_reason: null; performed_via_github_app: null;
  url: string; repository_url: string; labels_url: string; comments_url: string; events_url: string; timeline_url: string; html_url: string;
  draft?: boolean;
  pull_request?: { url: string; html_url: string; diff_url: string; patch_url: string; merged_at: string | null };
  score?: number;
}
export interface GitHubComment {
  id: number; node_id: string; url: string; html_url: string; issue_url: string; body: string;
  user: GitHubUser; created_at: string; updated_at: string; author_association: string;
}

/** Where rendered URLs point: the API base comes from the request's Host so links work on any port. */
export interface RenderContext { apiBase: string; htmlBase: string; fullName: string }

/** GitHub timestamps carry whole seconds and no fraction. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Opaque like GitHub's; clients must only store and compare it. */
const nodeId = (prefix: string, id: number): string => `${prefix}_kwDO${id.toString(36).toUpperCase()}`;

export function renderUser(user: Account, ctx: RenderContext): GitHubUser {
  return {
    login: user.login, id: user.id, node_id: nodeId('U', user.id), type: user.type, site_admin: false,
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    url: `${ctx.apiBase}/users/${user.login}`, html_url: `${ctx.htmlBase}/${user.login}`,
  };
}

export function renderLabel(label: LabelDef, ctx: RenderContext): GitHubLabel {
  return {
    id: label.id, node_id: nodeId('LA', label.id), name: label.name, color: label.color,
    default: DEFAULT_LABELS.some((d) => d.name === label.name), description: label.description,
    url: `${ctx.apiBase}/repos/${ctx.fullName}/labels/${encodeURIComponent(label.name)}`,
  };
}

export function renderIssue(rec: IssueRecord, ctx: RenderContext): GitHubIssue {
  const api = `${ctx.apiBase}/repos/${ctx.fullName}`;
  const html = `${ctx.htmlBase}/${ctx.fullName}`;
  const self = `${api}/issues/${rec.number}`;
  const issue: GitHubIssue = {
    url: self, repository_url: api, labels_url: `${self}/labels{/name}`, comments_url: `${self}/comments`,
    events_url: `${self}/events`, timeline_url: `${self}/timeline`,
    html_url: `${html}/${rec.isPull ? 'pull' : 'issues'}/${rec.number}`,
    id: rec.id, node_id: nodeId(rec.isPull ? 'PR' : 'I', rec.id), number: rec.number, title: rec.title,
    user: renderUser(rec.user, ctx), labels: rec.labels.map((l) => renderLabel(l, ctx)),
    state: rec.state, locked: false, assignee: rec.assignees[0] ? renderUser(rec.assignees[0], ctx) : null,
    assignees: rec.assignees.map((a) => renderUser(a, ctx)), milestone: null, comments: rec.comments,
    created_at: isoSeconds(rec.createdAt), updated_at: isoSeconds(rec.updatedAt),
    closed_at: rec.closedAt === null ? null : isoSeconds(rec.closedAt), author_association: 'CONTRIBUTOR',
    active_lock_reason: null, body: issueBody(rec), performed_via_github_app: null, state_reason: rec.stateReason,
  };
  if (!rec.isPull) return issue;
  const mergedAt = rec.stateReason === 'completed' && rec.closedAt !== null ? isoSeconds(rec.closedAt) : null;
  const pull = `${html}/pull/${rec.number}`;
  return { ...issue, draft: false, pull_request: { url: `${api}/pulls/${rec.number}`, html_url: pull, diff_url: `${pull}.diff`, patch_url: `${pull}.patch`, merged_at: mergedAt } };
}

export function renderComment(comment: CommentRecord, ctx: RenderContext): GitHubComment {
  const api = `${ctx.apiBase}/repos/${ctx.fullName}`;
  return {
    id: comment.id, node_id: nodeId('IC', comment.id), url: `${api}/issues/comments/${comment.id}`,
    html_url: `${ctx.htmlBase}/${ctx.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${api}/issues/${comment.issueNumber}`, body: comment.body, user: renderUser(comment.user, ctx),
    created_at: isoSeconds(comment.createdAt), updated_at: isoSeconds(comment.updatedAt), author_association: 'CONTRIBUTOR',
  };
}

export const issueBody = (rec: IssueRecord): string | null => rec.bodySeed === undefined ? rec.body : fixtureBody(rec.bodySeed);

// ---- Generators. Everything derives from a seed so a benchmark run can be reproduced exactly.

/** mulberry32: tiny, fast and good enough to make fixtures look varied. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

export const DEFAULT_LABELS: ReadonlyArray<Omit<LabelDef, 'id'>> = [
  { name: 'bug', color: 'd73a4a', description: "Something isn't working" },
  { name: 'enhancement', color: 'a2eeef', description: 'New feature or request' },
  { name: 'documentation', color: '0075ca', description: 'Improvements or additions to documentation' },
  { name: 'question', color: 'd876e3', description: 'Further information is requested' },
  { name: 'good first issue', color: '7057ff', description: 'Good for newcomers' },
  { name: 'help wanted', color: '008672', description: 'Extra attention is needed' },
  { name: 'duplicate', color: 'cfd3d7', description: 'This issue or pull request already exists' },
  { name: 'wontfix', color: 'ffffff', description: 'This will not be worked on' },
];
const EXTRA_LABELS = ['priority: high', 'priority: low', 'area: sync', 'area: api', 'area: ui', 'needs triage', 'regression'];

export const FIXTURE_USERS: readonly Account[] = [
  'octocat', 'mona', 'hubot', 'jdoe', 'asmith', 'lchen', 'pkumar', 'mgarcia', 'tnguyen', 'okafor',
  'eriksson', 'yamamoto', 'dubois', 'rossi', 'kowalski', 'silva', 'novak', 'ahmed', 'murphy', 'schmidt',
].map((login, i) => ({ login, id: 583231 + i * 7919, type: 'User' as const }));

const AREAS = ['Sync', 'Webhooks', 'CLI', 'API', 'Dashboard', 'Auth', 'Importer', 'Search', 'Notifications', 'Billing'];
const FAILURES = ['crashes', 'times out', 'returns stale data', 'drops updates', 'duplicates comments', 'hangs', 'leaks memory', 'ignores labels'];
const TRIGGERS = ['after token refresh', 'on large repositories', 'when the page size is 100', 'with unicode titles', 'after a network blip', 'under rate limiting', 'on first run', 'when an issue is transferred'];
const FEATURES = ['Support custom fields', 'Add dark mode', 'Allow bulk relabeling', 'Expose sync status', 'Export to CSV', 'Show rate-limit budget', 'Retry failed pushes', 'Filter by assignee'];
const SENTENCES = [
  'This started happening after we upgraded to the latest release last week.',
  'It only reproduces on our production instance, the staging copy behaves correctly.',
  'I could not find an existing issue about this, apologies if it is a duplicate.',
  'The logs show a burst of retries right before the failure, then nothing.',
  'Restarting the worker makes it go away for a few hours, after which it comes back.',
  'We have roughly forty thousand issues in this repository, spread across many labels.',
  'A teammate on macOS sees the same thing, so it does not look platform specific.',
  'Happy to provide more details or test a patch if someone points me in the right direction.',
  'The documentation suggests this should work, but the behaviour differs from the examples.',
  'It would help a lot if the error message included the request id returned by the server.',
];

export function fixtureTitle(rand: () => number, isPull: boolean): string {
  if (isPull) return `${pick(rand, ['Fix', 'Refactor', 'Speed up', 'Harden'])} ${pick(rand, AREAS).toLowerCase()} ${pick(rand, ['pagination', 'retries', 'error handling', 'caching', 'tests'])}`;
  return rand() < 0.7 ? `${pick(rand, AREAS)} ${pick(rand, FAILURES)} ${pick(rand, TRIGGERS)}` : pick(rand, FEATURES);
}

const bodyPool = new Map<number, string>();

/**
 * A markdown bug report of 500-2000 characters, the length real issue bodies tend to have.
 * Seeded bodies come from a pool of 256 plus a per-issue line: cheap enough to render on every page read.
 */
export function fixtureBody(seed: number): string {
  const slot = seed % 256;
  let body = bodyPool.get(slot);
  if (body === undefined) bodyPool.set(slot, (body = generateBody(slot)));
  return `${body}\n\nSeen in build ${seed % 100_000}.`;
}

function generateBody(seed: number): string {
  const rand = prng(seed);
  const target = 500 + Math.floor(rand() * 1500);
  const prose = (n: number): string => Array.from({ length: n }, () => pick(rand, SENTENCES)).join(' ');
  const sections = [
    `### Description\n\n${prose(2)}`,
    `### Steps to reproduce\n\n1. Connect a repository ${pick(rand, TRIGGERS)}\n2. Start a full sync\n3. Edit an issue on the remote side`,
    `### Expected behavior\n\n${prose(1)}`,
    `### Actual behavior\n\nThe ${pick(rand, AREAS).toLowerCase()} component ${pick(rand, FAILURES)}.\n\n\`\`\`\nError: request failed with status ${pick(rand, [502, 403, 422, 500])}\n    at fetchPage (client.ts:${10 + Math.floor(rand() * 200)}:13)\n\`\`\``,
    `### Environment\n\n- Version: 2.${Math.floor(rand() * 9)}.${Math.floor(rand() * 20)}\n- OS: ${pick(rand, ['Ubuntu 22.04', 'macOS 14.4', 'Windows 11', 'Debian 12'])}`,
  ];
  let body = sections.join('\n\n');
  while (body.length < target) body += `\n\n${prose(2)}`;
  return body.length > 1970 ? body.slice(0, 1970) : body;
}

export function fixtureCommentBody(rand: () => number): string {
  return rand() < 0.2 ? pick(rand, ['+1', 'Same here.', 'Any update on this?', 'Thanks, confirmed fixed.']) : SENTENCES.filter(() => rand() < 0.3).join(' ') || pick(rand, SENTENCES);
}

export interface SeedMix { pullRequestRatio: number; closedRatio: number; commentRatio: number }

/** One seeded issue between `createdAt` and `horizon`; label names are resolved to ids by the caller. */
export function fixtureIssue(rand: () => number, createdAt: number, horizon: number, mix: SeedMix) {
  const isPull = rand() < mix.pullRequestRatio;
  const updatedAt = createdAt + Math.floor(rand() ** 2 * (horizon - createdAt) / 1000) * 1000;
  const closed = rand() < mix.closedRatio;
  const closedAt = closed ? createdAt + Math.floor(rand() * (updatedAt - createdAt) / 1000) * 1000 : null;
  const labelNames = [...new Set(Array.from({ length: Math.floor(rand() * 3) }, () => rand() < 0.6 ? pick(rand, DEFAULT_LABELS).name : pick(rand, EXTRA_LABELS)))];
  return {
    isPull, title: fixtureTitle(rand, isPull), bodySeed: Math.floor(rand() * 2 ** 31), labelNames,
    state: (closed ? 'closed' : 'open') as IssueState,
    stateReason: (closed ? (rand() < 0.85 ? 'completed' : 'not_planned') : null) as StateReason | null,
    assignees: rand() < 0.4 ? [pick(rand, FIXTURE_USERS)] : [], user: pick(rand, FIXTURE_USERS),
    comments: rand() < mix.commentRatio ? 1 + Math.floor(rand() ** 2 * 12) : 0,
    createdAt, updatedAt, closedAt,
  };
}
