/** The public face of the Jira double: the options it starts with and the handle a test drives it through. */
import type { FaultHandle, FaultMatch, FaultRule } from '../github-double/faults';
import type { Exchange, RequestFilter, RequestRecord } from './server';
import type { CustomFieldType } from './screens';

export type Deployment = 'cloud' | 'datacenter';

/** An Atlassian Document Format node (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/). */
export interface AdfNode {
  type: string;
  text?: string;
  version?: number;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  marks?: Array<{ type: string; attrs?: Record<string, unknown> }>;
}

/** Rich text as the deployment stores it: ADF on Cloud (REST v3), wiki markup on Data Center (REST v2). */
export type RichText = AdfNode | string;

export interface JiraDoubleOptions {
  deployment: Deployment;
  port?: number;
  host?: string;
  /** Freeze the clock at this instant; without it the clock follows real time. */
  now?: Date | string | number;
  /** How long a write takes to reach search (JQL); reads by key see it at once. */
  searchLagMs?: number;
  /**
   * Entity property keys with a declared JQL index (an app's `jiraEntityProperties`). None by default, as
   * for any REST client: JQL on another property is refused as an unknown field.
   */
  indexedProperties?: string[];
  /**
   * With a frozen clock: how far each answered request moves it, as a request's round trip takes time
   * on a real site. A client's own steps then let a search lag elapse, as they would against Jira.
   */
  requestLatencyMs?: number;
  /** Attachments larger than this are refused with 413 (Jira's default is 10 MB). */
  maxAttachmentBytes?: number;
}

export interface JiraUserSeed { displayName: string; accountId?: string; name?: string; email?: string }

/** An out-of-band change, as another user makes it in Jira's UI. */
export interface IssueEdit {
  summary?: string;
  /** Plain text: stored as one ADF paragraph per line on Cloud, as is on Data Center. */
  description?: string | null;
  labels?: string[];
  priority?: string | null;
  status?: string;
  /** The assignee by accountId (Cloud) or name (Data Center), as `addUser` made them; null unassigns. */
  assignee?: string | null;
  /** By field id, as a read answers it (a text, `{id, value}` for an option). */
  custom?: Record<string, unknown>;
}

export interface DoubleIssueView {
  id: string;
  key: string;
  summary: string;
  description: RichText | null;
  status: string;
  labels: string[];
  properties: Record<string, unknown>;
  /** Custom field values by field id, as a read answers them (an option as `{id, value}`). */
  custom: Record<string, unknown>;
  updated: number;
  comments: Array<{ id: string; body: RichText }>;
}

export interface JiraDouble {
  readonly url: string;
  readonly deployment: Deployment;
  /** The secrets a connection to this double uses. */
  readonly secrets: { email: string; apiToken: string } | { personalAccessToken: string };
  now(): Date;
  setTime(t: Date | string | number): void;
  advanceTime(ms: number): void;
  setSearchLag(ms: number): void;
  /**
   * Search shows every write made so far, as it would once the lag has passed, without the wait: only the
   * index moves (the clock and `updated` stamps stay). For tests that would otherwise sleep a lag out.
   */
  catchUpSearch(): void;
  /** Declares a JQL index on an entity property key, as an app would. */
  indexProperty(key: string): void;
  createProject(key: string, name?: string): void;
  addUser(user: JiraUserSeed): void;
  /** Creates issues now, by another user; returns their ids. */
  seed(project: string, count: number, edit?: IssueEdit): string[];
  edit(idOrKey: string, change: IssueEdit): void;
  addComment(idOrKey: string, text: string): string;
  deleteIssue(idOrKey: string): void;
  issue(idOrKey: string): DoubleIssueView | undefined;
  issuesOf(project: string): DoubleIssueView[];
  /** A transition into `status` asks for these fields on its screen (required, no default). */
  requireOnTransition(status: string, fields: string[]): void;
  /** Adds a custom field (a text field unless a type is given); returns its id (customfield_NNNNN). */
  addCustomField(name: string, type?: CustomFieldType, options?: Array<string | { value: string; children: string[] }>): string;
  /**
   * The screens of one issue type in one project: fields (ids: `priority`, `customfield_…`) left off the
   * create or the edit screen, and fields the create screen requires.
   */
  screen(project: string, issueType: string, change: { notOnCreate?: string[]; notOnEdit?: string[]; required?: string[] }): void;
  /** Allows or refuses `notifyUsers=false` for the connection's user (Jira: admins and project admins only). */
  setAdmin(admin: boolean): void;
  requests(filter?: RequestFilter): RequestRecord[];
  resetRequests(): void;
  inject(rule: FaultRule): FaultHandle;
  /**
   * The next `times` matching requests answer 429, with `Retry-After: retryAfter` seconds unless it is null, and
   * `X-RateLimit-Reset` `resetInMs` ahead (default: the Retry-After, else a minute).
   */
  rateLimit(opts?: { times?: number; retryAfter?: number | null; reason?: string; resetInMs?: number } & FaultMatch): FaultHandle;
  clearFaults(): void;
  /** Calls `fn` with every answer the double sends (the contract check listens here). */
  observe(fn: (exchange: Exchange) => void): void;
  close(): Promise<void>;
}
