/** The public face of the double: the options it starts with and the handle a test drives it through. */
import type { GitHubComment, GitHubIssue, IssueState } from '../github-fixtures';
import type { FaultHandle, FaultMatch, FaultRule } from './faults';
import type { RateResource, RateState } from './limits';
import type { RequestFilter, RequestRecord } from './server';
import type { IssueChange, NewIssue, SeedOptions } from './store';
import type { WebhookDelivery } from './webhooks';

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
  /** A remote edit by `user` (default "octocat"), recorded in the issue's events: always bumps updated_at, even when no field changes. */
  editIssue(repo: string, number: number, change: IssueChange, opts?: { user?: string }): GitHubIssue;
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
  /**
   * Sends a signed webhook (`issues`, `issue_comment`) to `url` on every issue and comment change, as a
   * repository webhook with `secret` does on GitHub (only for `repo` when given), starting with a ping; null stops them.
   */
  setWebhook(url: string | null, secret?: string, opts?: { repo?: string }): void;
  /** Every delivery so far, oldest first, with the receiver's answer once it came. */
  webhookDeliveries(): WebhookDelivery[];
  /** Sends a past delivery again: the same body, signature and delivery id. */
  redeliverWebhook(id: string): WebhookDelivery;
  /** Resolves once every delivery sent so far has been answered. */
  settleWebhooks(): Promise<void>;
  close(): Promise<void>;
}

