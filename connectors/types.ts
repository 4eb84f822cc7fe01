import type { z } from 'zod';
import type { RateLimitHeaders } from './http/pacer';
import type { ErrorClassifier, HttpClient } from './http/client';
import type { Logger } from './logger';

export type { LogFn, Logger } from './logger';

/** JSON-serializable value: cursors travel through Temporal payloads and the DB. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The hub-side shape of a story's synced fields, as a connector reads or writes them. */
export interface ItemFields {
  title: string;
  description: string;
  /** Remote status name (GitHub: "open" | "closed"; Redmine: the status name). */
  status: string;
  closed: boolean;
  priority: string | null;
  /** Login (GitHub) or login/name (Redmine) of the assignee. */
  assignee: string | null;
  labels: string[];
  /** Remote custom fields by name (Redmine), empty where the remote has none. */
  customFields: Record<string, string | null>;
}

export interface RemoteItem {
  /** Stable remote id: GitHub issue number, Redmine issue id. */
  remoteId: string;
  /** Human key shown to users, e.g. "octo/repo#12" or "#34". */
  key: string;
  url: string;
  /** Remote timestamps (ISO 8601), the only clock a watermark may come from. */
  createdAt: string;
  updatedAt: string;
  fields: ItemFields;
  /** Number of comments when the listing tells (lets a pull skip comment requests). */
  commentCount?: number;
  /** Redmine lock_version and similar optimistic-concurrency tokens. */
  version?: string;
  /** The remote JSON as received, for rules that address remote fields by path. */
  raw: Json;
  /**
   * The I1 marker the item carries, if it was created with one: read by the connector from wherever it
   * keeps it (a comment in the text, an entity property, a hidden field). A pull recognises a create
   * that died before its link was stored by this, and adopts the item instead of importing it.
   */
  marker?: string;
  /**
   * What a write had to change or leave out to fit the remote (a label rewritten, a field not on the
   * screen): the engine adds these to the binding's warnings. Only createItem and updateItem set it.
   */
  warnings?: string[];
}

export interface RemoteComment {
  remoteId: string;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface RemoteAttachment {
  /** Stable remote id (Redmine attachment id; GitHub: the id of the comment carrying the link). */
  remoteId: string;
  name: string;
  contentType: string;
  size: number;
  author: string;
  createdAt: string;
  /** False where the remote only holds a link to the file (GitHub): it is never downloaded back. */
  downloadable: boolean;
}

export interface NewAttachment {
  name: string;
  contentType: string;
  data: Uint8Array;
  /** Where the hub serves the file; a remote without uploads links to it instead. */
  url: string;
}

export interface PullPage {
  items: RemoteItem[];
  /** Where to resume after this page; null once the listing is complete. */
  next: Json | null;
  /** The cursor to store after a complete listing, for the next incremental pull. */
  watermark: Json | null;
  /** Total items the listing will return, when the remote tells. */
  total?: number;
  /** The remote answered 304: nothing changed since the stored cursor. */
  notModified?: boolean;
}

export interface Scope {
  /** Opaque scope id as stored on a binding: "owner/repo", a Redmine project identifier. */
  id: string;
  name: string;
  url?: string;
}

export interface ScopeGroup {
  /** e.g. a GitHub org or user, a Redmine parent project. */
  group: string;
  scopes: Scope[];
}

export interface TestResult {
  ok: boolean;
  /** Who we are authenticated as, when the remote tells. */
  account?: string;
  message: string;
}

/** One value a mapping can pick: `name` is what the connector reads and writes for the field. */
export interface MetadataValue {
  /** The remote's own id, when it has one apart from the name. */
  id?: string;
  name: string;
}

/** The remote's value lists for one scope, so rules and value maps are picked, not typed. */
export interface RemoteMetadata {
  statuses: Array<MetadataValue & { closed: boolean }>;
  priorities: MetadataValue[];
  /** `name` is the assignee value as the connector reads it (GitHub login, Redmine name, Jira accountId or login); `displayName` is for people. */
  users: Array<MetadataValue & { displayName?: string }>;
  labels: MetadataValue[];
  issueTypes: MetadataValue[];
  /** By the name the hub addresses them with (`customFields.<name>`); `values` lists a list field's options. */
  customFields: Array<MetadataValue & { type?: string; multiple?: boolean; values?: string[] }>;
}

/** What the engine knows of a create it may be retrying (Writer.findByMarker). */
export interface AdoptionHint {
  /** ISO 8601: when the last attempt of the create started (it landed on the remote after this, if at all). */
  since: string;
  /** The title that create sent. */
  title?: string;
}

/** Write operations (push side). */
export interface NewItem {
  fields: ItemFields;
  /** A marker placed in the remote item so a retried create can find it (I1). */
  marker: string;
}

/** What a webhook delivery asks of the platform: fetch one item (through the pull path), answer a ping, or nothing. */
export type WebhookRequest =
  | { kind: 'item'; remoteId: string; /** The binding scope, when the payload names it (case-insensitive match). */ scope?: string }
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string };

/** One delivery, as a connector's webhook declaration reads it once its signature is checked. */
export interface WebhookDelivery {
  /** A request header, by case-insensitive name. */
  header(name: string): string | undefined;
  /** The body, parsed as JSON. */
  payload: unknown;
}

/**
 * How a connector's remote calls trackbridge back (`POST /webhooks/<slug>/<connection id>`): how a delivery
 * proves itself with the connection's webhook secret, and which item it names. A payload is only a hint:
 * the item is fetched from the remote, so `read` takes ids from it, never field values.
 */
export interface WebhookDeclaration {
  /**
   * `hmac-sha256`: the hex HMAC-SHA256 of the raw body under the secret, in `header` (a `sha256=` prefix
   * is accepted), or in the first of `fallbackHeaders` present; `token`: the secret itself in `header`.
   * Either is compared in constant time.
   */
  signature: { scheme: 'hmac-sha256'; header: string; fallbackHeaders?: readonly string[] } | { scheme: 'token'; header: string };
  /** The events to subscribe to, in words, for the API documentation: "`issues`, `issue_comment` and `ping`". */
  events: string;
  /** The header that carries a delivery's id, for logs. */
  deliveryHeader?: string;
  read(delivery: WebhookDelivery): WebhookRequest;
}

/** What every connector does: read. The pull, the scope picker and the connection test use it. */
export interface Reader {
  testConnection(): Promise<TestResult>;
  listScopes(): Promise<ScopeGroup[]>;
  /** Pages of items updated at or after the cursor's watermark, oldest first. */
  pull(scope: string, cursor: Json | null): AsyncIterable<PullPage>;
  getItem(scope: string, remoteId: string): Promise<RemoteItem | null>;
  listComments(scope: string, remoteId: string, since?: string): Promise<RemoteComment[]>;
  /**
   * Every item id in the scope, page by page, and nothing else: a sweep for deletions that costs a
   * fraction of a full listing, so it can follow incremental pulls too. Optional; without it, deletions
   * are found only after an initial sync's complete listing. An id it misses is read by key before
   * the story is deleted, so a lagging index never deletes anything.
   */
  listIds?(scope: string): AsyncIterable<string[]>;
  /** The scope's statuses, priorities, users, labels, issue types and custom fields (optional: the console falls back to typed values). */
  metadata?(scope: string): Promise<RemoteMetadata>;
}

/** Writing items: what the push needs. A connector without it is read-only (bindings pull only). */
export interface Writer {
  createItem(scope: string, item: NewItem): Promise<RemoteItem>;
  /**
   * The item an earlier create with this marker made, or null. `hint` (from the engine's write-ahead)
   * says when that create's last attempt started and what title it sent, for remotes whose search
   * cannot find the marker itself (Jira): a connector must still answer without it.
   */
  findByMarker(scope: string, marker: string, hint?: AdoptionHint): Promise<RemoteItem | null>;
  updateItem(scope: string, remoteId: string, changes: Partial<ItemFields>, version?: string): Promise<RemoteItem>;
  /**
   * The values other actors gave the fields of `wrote` on the remote's history since `read` (the read a
   * write of ours was based on) and before that write: a write is not atomic with its read, and an
   * edit landing in between would otherwise be overwritten silently (C1). Fields whose edits the
   * remote's history does not record are not reported; a remote with no history answers `{}`.
   */
  editsSince(scope: string, remoteId: string, read: RemoteItem, wrote: Partial<ItemFields>): Promise<Partial<ItemFields>>;
  /**
   * Leave it out where the remote cannot delete items (and declare `cannot: ['deleteItems']`): a binding
   * whose delete policy is `delete` then closes the item instead.
   */
  deleteItem?(scope: string, remoteId: string): Promise<void>;
}

/** Writing comments (reading them is part of `Reader`). */
export interface CommentWriter {
  addComment(scope: string, remoteId: string, body: string): Promise<RemoteComment>;
  /**
   * Leave it out where the remote's comments are add-only (and declare `cannot: ['editComments']`): a hub
   * edit of a comment already posted there then stays in the hub, with an explain entry saying so.
   */
  updateComment?(scope: string, remoteId: string, commentId: string, body: string): Promise<RemoteComment>;
}

/** Files (the `files` rule). A remote that only links to files lists them as not downloadable. */
export interface AttachmentStore {
  listAttachments(scope: string, remoteId: string): Promise<RemoteAttachment[]>;
  downloadAttachment(scope: string, attachment: RemoteAttachment): Promise<Uint8Array>;
  addAttachment(scope: string, remoteId: string, file: NewAttachment): Promise<RemoteAttachment>;
}

/** A connected connector: the reader, and each capability it implements. */
export interface ConnectorClient extends Reader {
  writer?: Writer;
  comments?: CommentWriter;
  attachments?: AttachmentStore;
}

export type Capability = 'writer' | 'comments' | 'attachments';

/**
 * What a remote cannot do within a capability it has: `editComments` (its comments are add-only),
 * `deleteItems` (its items cannot be deleted). Declared in `ConnectorDefinition.cannot`.
 */
export type Limitation = 'editComments' | 'deleteItems';

export interface ConnectorContext<Config, Secrets, Options = unknown> {
  config: Config;
  secrets: Secrets;
  logger: Logger;
  /** The HTTP client built from the connector's `http` declaration: auth, pacing, retries, errors. */
  http: HttpClient;
  /**
   * The binding this client works for. Absent where it works for a connection only: the connection
   * test, the scope picker, a connection's metadata.
   */
  binding?: BindingContext<Options>;
}

/** One person in a binding's user map: the hub's name (as written after `@`) and the remote's for the same person. */
export interface UserPair {
  hub: string;
  remote: string;
}

/** What a connected client knows of the binding it works for, derived from the binding's rules. */
export interface BindingContext<Options = unknown> {
  /** The binding's id (for logs). */
  id: string;
  /**
   * The binding's user map (its rules' `users`, else its assignee rule's value map): mentions in text
   * are written and read through it, on every markup route.
   */
  users: readonly UserPair[];
  /**
   * The remote fields the binding's rules and field messages read or write: connector fields
   * (`labels`, `customFields.Team`; `customFields` alone means all of them) and remote paths
   * (`fields.customfield_10010`, `/fields/customfield_10010`). A remote whose reads can ask for fewer
   * fields asks only for these (and those the item itself needs).
   */
  fields: readonly string[];
  /** The binding's options for this connector (rules `options`), parsed by the connector's `bindingOptions`. */
  options: Options;
}

/** How the platform talks HTTP to the remote, declared as data; `connect` gets the client built from it. */
export interface HttpDeclaration<Secrets> {
  /** Prefix of error messages: "GitHub", "Redmine". */
  service: string;
  /** The header carrying the credential. Its name is redacted from every log line; its value is scrubbed from errors. */
  auth: { header: string; value(secrets: Secrets): string };
  /** Fixed headers sent with every request. */
  headers?: Record<string, string>;
  /** Pulls the remote's own explanation out of an error body. */
  describeError?(body: unknown): string | undefined;
  /** A rate-limited answer that says not how long is retried after base·2^n ms with full jitter, at most max (Jira). */
  rateLimitBackoff?: { baseMs: number; maxMs: number };
  /**
   * The headers in which the remote reports its request budgets, when they are not `x-ratelimit-*`:
   * requests are spread over what is left of each window instead of spending it and being refused.
   * GitLab: `[{ remaining: 'ratelimit-remaining', reset: 'ratelimit-reset' }]`.
   */
  rateLimitHeaders?: readonly RateLimitHeaders[];
  /**
   * What a failed answer means when its status does not say it: a GraphQL API answers its rate limit
   * and a rejected key with 400 and a code in the body. Return `{ kind: 'rate-limited' }` (with
   * `retryAfterMs` when the answer says when), `auth`, `transient`, `permanent` or `conflict`, or
   * undefined to let the status decide.
   */
  classifyError?: ErrorClassifier;
}

/**
 * A connector is one declaration: metadata, config and secrets schemas, the fields it syncs (its
 * default rules), its HTTP behaviour, and factories for what it implements. The platform derives
 * everything else from it: `GET /connectors`, the default field rules, the log redaction list.
 */
export interface ConnectorDefinition<Config = unknown, Secrets = unknown, Session = unknown, Options = unknown> {
  /** ≤ 25 chars, [a-z0-9-]. */
  slug: string;
  name: string;
  /** Markdown. */
  description: string;
  logoUrl: string;
  configSchema: z.ZodType<Config>;
  secretsSchema: z.ZodType<Secrets>;
  /** The hub fields this remote has; a binding with no rules syncs these two-way. */
  fields: readonly (keyof ItemFields)[];
  /** Whether the pull sends conditional requests (a 304 costs no rate limit). */
  conditionalRequests: boolean;
  /**
   * What the remote cannot do within the capabilities below, with the matching method left out: the
   * conformance kit skips the checks these rule out (saying why), `GET /connectors` shows them, and the
   * engine goes around them (docs/plugins.md, Writing a connector).
   */
  cannot?: readonly Limitation[];
  /**
   * What a binding may set for this connector, one binding apart from another on the same connection
   * (its rules' `options` section): validated when the rules are saved (a 400 naming the field),
   * shown by `GET /connectors` as JSON Schema, and handed to the client as `ctx.binding.options`.
   */
  bindingOptions?: z.ZodType<Options>;
  http: HttpDeclaration<Secrets>;
  /** Webhooks the remote sends (optional: without them, the signed poke and the pull timer serve). */
  webhooks?: WebhookDeclaration;
  /**
   * The form in which this connector's items report a create marker (`RemoteItem.marker`), when it is
   * not the marker itself: a remote that takes a client-chosen id keeps the marker as that id (Linear's
   * issue id, a UUID made from the marker). A pull then adopts an unlinked item whose `marker` equals
   * `markerForm(marker)` of a pending create.
   */
  markerForm?(marker: string): string;
  /** What the capabilities share (usually the typed API client); created once per connection use. */
  session(ctx: ConnectorContext<Config, Secrets, Options>): Session;
  reader(session: Session, ctx: ConnectorContext<Config, Secrets, Options>): Reader;
  writer?(session: Session, ctx: ConnectorContext<Config, Secrets, Options>): Writer;
  comments?(session: Session, ctx: ConnectorContext<Config, Secrets, Options>): CommentWriter;
  attachments?(session: Session, ctx: ConnectorContext<Config, Secrets, Options>): AttachmentStore;
}
