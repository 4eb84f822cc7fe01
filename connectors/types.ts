import type { z } from 'zod';
import type { Logger } from 'pino';
import type { DestinationPolicy } from './http/destination';

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

export interface Capabilities {
  pull: boolean;
  write: boolean;
  comments: boolean;
  attachments: boolean;
  conditionalRequests: boolean;
  customFields: boolean;
}

/** Write operations (push side). */
export interface NewItem {
  fields: ItemFields;
  /** A marker placed in the remote item so a retried create can find it (I1). */
  marker: string;
}

export interface ConnectorClient {
  testConnection(): Promise<TestResult>;
  listScopes(): Promise<ScopeGroup[]>;
  /** Pages of items updated at or after the cursor's watermark, oldest first. */
  pull(scope: string, cursor: Json | null): AsyncIterable<PullPage>;
  getItem(scope: string, remoteId: string): Promise<RemoteItem | null>;
  listComments(scope: string, remoteId: string, since?: string): Promise<RemoteComment[]>;

  // Write side: used by the push workflows.
  createItem?(scope: string, item: NewItem): Promise<RemoteItem>;
  findByMarker?(scope: string, marker: string): Promise<RemoteItem | null>;
  updateItem?(scope: string, remoteId: string, changes: Partial<ItemFields>, version?: string): Promise<RemoteItem>;
  /**
   * The values other actors gave the fields of `wrote` on the remote's history since `read` (the read a
   * write of ours was based on) and before that write: a write is not atomic with its read, and an
   * edit landing in between would otherwise be overwritten silently (C1). Fields whose edits the
   * remote's history does not record are not reported.
   */
  editsSince?(scope: string, remoteId: string, read: RemoteItem, wrote: Partial<ItemFields>): Promise<Partial<ItemFields>>;
  deleteItem?(scope: string, remoteId: string): Promise<void>;
  addComment?(scope: string, remoteId: string, body: string): Promise<RemoteComment>;
  updateComment?(scope: string, remoteId: string, commentId: string, body: string): Promise<RemoteComment>;

  // Attachments (the `files` rule).
  listAttachments?(scope: string, remoteId: string): Promise<RemoteAttachment[]>;
  downloadAttachment?(scope: string, attachment: RemoteAttachment): Promise<Uint8Array>;
  addAttachment?(scope: string, remoteId: string, file: NewAttachment): Promise<RemoteAttachment>;
}

export interface ConnectorContext<Config, Secrets> {
  config: Config;
  secrets: Secrets;
  logger: Logger;
  /** Injected so tests and the benchmark can count or redirect requests. */
  fetch?: typeof fetch;
  /** Where the connector's requests may go (connectors/http/destination.ts). */
  destinations?: DestinationPolicy;
}

/** A connector declares itself with data plus one factory. */
export interface ConnectorDefinition<Config = unknown, Secrets = unknown> {
  /** ≤ 25 chars, [a-z0-9-]. */
  slug: string;
  name: string;
  /** Markdown. */
  description: string;
  logoUrl: string;
  configSchema: z.ZodType<Config>;
  secretsSchema: z.ZodType<Secrets>;
  capabilities: Capabilities;
  connect(ctx: ConnectorContext<Config, Secrets>): ConnectorClient;
}
