import type { z } from 'zod';
import type { Egress } from '../connectors/http/refusal';
import type { ConnectorClient, ConnectorDefinition, ItemFields, Json, Logger } from '../connectors/types';
import type { SinkDefinition } from '../sinks/types';

/** The plugin contract's version. A plugin declares the one it was built against; a mismatch stops the boot. */
export const PLUGIN_API_VERSION = 1;

/** What a plugin package's default export declares. Everything but the name, version and apiVersion is optional. */
export interface PluginDefinition {
  /** The plugin's name, usually its npm package name. Actions are addressed by it. */
  name: string;
  /** Semver of the plugin itself, shown by `GET /plugins`. */
  version: string;
  /** `PLUGIN_API_VERSION` as the plugin knows it. */
  apiVersion: number;
  connectors?: ConnectorDefinition[];
  actions?: ActionDefinition[];
  hooks?: HookDefinition[];
  /** Event sinks (see the events issue): declared here so the contract is stable. */
  sinks?: SinkDefinition[];
}

// ── Actions ─────────────────────────────────────────────────────────────────

/** What an action gets while it runs (as an activity: retried on a transient failure, heartbeating). */
export interface ActionContext {
  jobId: string;
  logger: Logger;
  /**
   * Appends an entry to the job's log and sets its progress (0..1 when known), as Elita's
   * `NewJobData` does. Entries are what `GET /jobs/{id}` lists; keep them small and free of secrets.
   */
  progress(entry: { message: string; progress?: number; data?: Json }): Promise<void>;
  /** Aborted when the job is cancelled or the worker shuts down. */
  signal: AbortSignal;
  /** The network under the egress policy: `egress.fetch`, or `egress.checkHost` for other protocols (docs/plugins.md). */
  egress: Egress;
  /**
   * Opens one of the hub's connections by id, connected as the worker connects it for a sync: its
   * reader, and its writer, comments and attachments where its connector has them. The secrets are
   * unsealed inside the worker only; they never pass through the action's params or its job. An
   * unknown id fails the job for good.
   */
  connection(id: string): Promise<ActionConnection>;
  /**
   * A read-only view of the hub through one binding: the binding, and its project's stories each with
   * its link on that binding. It only reads (no secrets, no writes). An unknown or deleted binding id
   * fails the job for good.
   */
  hub(bindingId: string): Promise<HubView>;
}

/** A connection an action opened (ActionContext.connection). */
export interface ActionConnection {
  id: string;
  /** Its connector's slug. */
  connector: string;
  client: ConnectorClient;
}

/** What an action sees of the hub through one binding (ActionContext.hub). */
export interface HubView {
  binding: HubBinding;
  /**
   * The binding's project's stories, each with its link on this binding, page by page. Pages follow the
   * stories' ids (a stable order, not a date order), so each story is listed once even while others change.
   */
  stories(options?: HubStoryQuery): AsyncIterable<HubStory[]>;
  /** One story of the binding's project (deleted ones too), or null when there is none by that id. */
  story(id: string): Promise<HubStory | null>;
}

/** A binding as an action sees it: where it syncs, never how it authenticates. */
export interface HubBinding {
  id: string;
  projectId: string;
  /** Open it with `ctx.connection(connectionId)` to reach the remote. */
  connectionId: string;
  /** The connection's connector slug. */
  connector: string;
  /** The remote scope: "owner/repo", a project key. */
  scope: string;
  state: 'active' | 'paused';
}

/** Which stories `HubView.stories` lists (`undefined` reads as unset, so zod's optional params pass as they are). */
export interface HubStoryQuery {
  /** Stories per page, 1 to 500 (default 100). */
  pageSize?: number | undefined;
  /** true: only stories with an item on this binding; false: only those without one; unset: all. */
  linked?: boolean | undefined;
  /** Soft-deleted stories too (default false). */
  includeDeleted?: boolean | undefined;
}

/** A hub story with its link on one binding. */
export interface HubStory {
  id: string;
  projectId: string;
  fields: ItemFields;
  /** Monotonic: every write bumps it. */
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Its item on the binding, or null when it has none there (yet). */
  link: HubLink | null;
}

/** A story's item on a binding, as the last sync recorded it. */
export interface HubLink {
  remoteId: string;
  remoteKey: string | null;
  remoteUrl: string | null;
  /** When a sync last recorded the remote item. */
  syncedAt: string | null;
  /** The remote's own update time and version token as last synced (RemoteItem.updatedAt, .version). */
  remoteUpdatedAt: string | null;
  remoteVersion: string | null;
}

export interface ActionDefinition<Params extends z.ZodType = z.ZodType> {
  /** [a-z0-9-]; the route is `POST /plugins/{plugin}/actions/{name}`. */
  name: string;
  description: string;
  /** The request body, validated before the job starts: a missing or bad param answers 400 naming it. */
  params: Params;
  /** Runs the job; its return value (JSON) is the job's result. Throw to fail it. */
  run(ctx: ActionContext, params: z.output<Params>): Promise<Json | void>;
}

// ── Hooks ───────────────────────────────────────────────────────────────────

/** What every story point carries: the outbox event, and where the change came from. */
export interface StoryChange {
  projectId: string;
  storyId: string;
  /** The outbox event's id: one per change, the same on every firing of it. */
  eventId: number;
  /** `hub` for a change made through the API; the binding id when a pull from that binding made it. */
  origin: string;
  /** Who made it: the API token's name, or the remote user a pull reports. */
  actor: string;
}

/** The points the engine fires, with their payloads. Payloads hold ids and field values, never secrets. */
export interface HookPayloads {
  'story.created': StoryChange & { fields: Partial<ItemFields> };
  'story.updated': StoryChange & { changed: string[] };
  'story.deleted': StoryChange;
  'item.pulled': { bindingId: string; storyId: string; remoteId: string; outcome: 'created' | 'updated' };
  /** A remote write: `fields` are the ones written (empty for a delete). */
  'push.succeeded': { bindingId: string; storyId: string; eventId: number; remoteId: string | null; outcome: 'created' | 'updated' | 'deleted'; fields: string[] };
  /** `permanent`: the write became a dead letter; otherwise the remote failed transiently and the story went to the binding's backlog. */
  'push.failed': { bindingId: string; storyId: string; eventId: number; error: string; permanent: boolean };
  'deadletter.created': { bindingId: string; storyId: string; eventId: number; deadLetterId: string; error: string };
  /** An initial sync or a pull finished its listing; the counts are the run's (items: listed in all). */
  'sync.completed': { bindingId: string; runId: string; kind: 'initial' | 'pull'; created: number; updated: number; unchanged: number; failed: number; items: number };
  /** Paused by a user, or by the engine after the remote refused its credentials (the reason says which). */
  'binding.paused': { bindingId: string; projectId: string; reason: string };
}
export type HookPoint = keyof HookPayloads;
export const hookPoints: readonly HookPoint[] = [
  'story.created', 'story.updated', 'story.deleted', 'item.pulled', 'push.succeeded', 'push.failed', 'deadletter.created', 'sync.completed', 'binding.paused',
];

export interface HookContext {
  logger: Logger;
  point: HookPoint;
  /** Unique per firing: a retried hook sees the same id, so it can dedupe its own side effects. */
  firingId: string;
  /** The network under the egress policy: `egress.fetch`, or `egress.checkHost` for other protocols (docs/plugins.md). */
  egress: Egress;
}

export interface HookDefinition<P extends HookPoint = HookPoint> {
  /** [a-z0-9-], unique within the plugin. */
  name: string;
  on: P;
  /** Runs as an activity, after the operation committed; a failure is recorded and retried, never fails the sync. */
  run(ctx: HookContext, payload: HookPayloads[P]): Promise<void>;
}

// ── Sinks ───────────────────────────────────────────────────────────────────

export type { ChangeMessage, ChangeStory, SinkDefinition, SinkPublisher } from '../sinks/types';
