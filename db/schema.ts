import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, check, customType, doublePrecision, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid,
} from 'drizzle-orm/pg-core';
import type { RemoteItem } from '../connectors/types';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** API tokens, stored as SHA-256 hashes only. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  /** First characters of the token, so an operator can tell tokens apart. */
  prefix: text('prefix').notNull(),
  /** admin may write; read may only read (every write route refuses it with 403). */
  role: text('role').notNull().default('admin'),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [check('api_tokens_role_ck', sql`${t.role} in ('admin', 'read')`)]);

export const projects = pgTable('projects', {
  id: uuid('id').primaryKey().defaultRandom(),
  key: text('key').notNull().unique(),
  name: text('name').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const stories = pgTable('stories', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  description: text('description').notNull().default(''),
  status: text('status').notNull().default('open'),
  closed: boolean('closed').notNull().default(false),
  priority: text('priority'),
  assignee: text('assignee'),
  labels: jsonb('labels').$type<string[]>().notNull().default([]),
  customFields: jsonb('custom_fields').$type<Record<string, string | null>>().notNull().default({}),
  /** Monotonic; every write bumps it, and updates carry it for optimistic concurrency. */
  version: integer('version').notNull().default(1),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [index('stories_project_idx').on(t.projectId)]);

export const comments = pgTable('comments', {
  id: uuid('id').primaryKey().defaultRandom(),
  storyId: uuid('story_id').notNull().references(() => stories.id, { onDelete: 'cascade' }),
  author: text('author').notNull(),
  body: text('body').notNull(),
  /** 'hub' or the binding id the comment was pulled from. */
  origin: text('origin').notNull().default('hub'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
}, (t) => [index('comments_story_idx').on(t.storyId)]);

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** Files attached to stories; the content is kept in the row (files are capped, see db/attachments.ts). */
export const attachments = pgTable('attachments', {
  id: uuid('id').primaryKey().defaultRandom(),
  storyId: uuid('story_id').notNull().references(() => stories.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  contentType: text('content_type').notNull(),
  size: integer('size').notNull(),
  sha256: text('sha256').notNull(),
  content: bytea('content').notNull(),
  /** 'hub' or the binding id the file was pulled from. */
  origin: text('origin').notNull().default('hub'),
  author: text('author').notNull(),
  createdAt: createdAt(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
}, (t) => [index('attachments_story_idx').on(t.storyId)]);

export const connections = pgTable('connections', {
  id: uuid('id').primaryKey().defaultRandom(),
  connector: text('connector').notNull(),
  name: text('name').notNull(),
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  /** AES-256-GCM sealed JSON; never returned or logged. */
  secretsSealed: text('secrets_sealed').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const bindings = pgTable('bindings', {
  id: uuid('id').primaryKey().defaultRandom(),
  projectId: uuid('project_id').notNull().references(() => projects.id, { onDelete: 'cascade' }),
  connectionId: uuid('connection_id').notNull().references(() => connections.id, { onDelete: 'restrict' }),
  scope: text('scope').notNull(),
  /** active | paused | deleted; see db/bindings.ts for the transition table. */
  state: text('state').notNull().default('active'),
  /** Why the binding is paused (e.g. "bad credentials"), shown in its status. */
  pausedReason: text('paused_reason'),
  pullIntervalSeconds: integer('pull_interval_seconds').notNull().default(300),
  importPolicy: text('import_policy').notNull().default('auto'),
  deletePolicy: text('delete_policy').notNull().default('close'),
  rules: jsonb('rules').$type<unknown>(),
  /** Incremental watermark after the last complete listing (opaque, from the connector). */
  pullCursor: jsonb('pull_cursor').$type<unknown>(),
  lastPullAt: timestamp('last_pull_at', { withTimezone: true }),
  lastSyncedCount: integer('last_synced_count'),
  /** When the last id-only deletion sweep finished (connectors with `listIds`); paces the sweeps after pulls. */
  lastSweptAt: timestamp('last_swept_at', { withTimezone: true }),
  /** When a webhook's fetch last read one of the binding's items: while webhooks deliver, scheduled pulls space out. */
  lastWebhookAt: timestamp('last_webhook_at', { withTimezone: true }),
  backlogged: boolean('backlogged').notNull().default(false),
  /** Remote values no rule maps, reported in the binding status rather than dropped. */
  warnings: jsonb('warnings').$type<string[]>().notNull().default([]),
  /** Set while the remote asked us to wait (a rate limit) longer than a moment; shown in the binding status. */
  waitingUntil: timestamp('waiting_until', { withTimezone: true }),
  waitingReason: text('waiting_reason'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [
  // Deleted bindings keep their rows (runs and links refer to them), so the scope can be bound again.
  uniqueIndex('bindings_scope_uq').on(t.projectId, t.connectionId, t.scope).where(sql`${t.state} <> 'deleted'`),
  check('bindings_state_ck', sql`${t.state} in ('active', 'paused', 'deleted')`),
  check('bindings_import_ck', sql`${t.importPolicy} in ('auto', 'review')`),
  check('bindings_delete_ck', sql`${t.deletePolicy} in ('close', 'delete')`),
]);

/** Numbers the pushes' link writes, so a pull can tell a link written after it fetched its page. */
export const linkWriteSeq = pgSequence('link_write_seq');

/** One remote item ↔ one story per binding, with the last-synced snapshot every comparison starts from. */
export const externalLinks = pgTable('external_links', {
  id: uuid('id').primaryKey().defaultRandom(),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  storyId: uuid('story_id').notNull().references(() => stories.id, { onDelete: 'cascade' }),
  /** Null while a push-side create is pending (I1: the pending row is written before the remote create). */
  remoteId: text('remote_id'),
  remoteKey: text('remote_key'),
  remoteUrl: text('remote_url'),
  /** Marker placed in the remote item so a retried create can find it. */
  marker: text('marker').notNull(),
  snapshot: jsonb('snapshot').$type<Record<string, unknown>>(),
  remoteUpdatedAt: text('remote_updated_at'),
  remoteVersion: text('remote_version'),
  syncedAt: timestamp('synced_at', { withTimezone: true }),
  /** Set by full listings only; a link a complete listing did not see is a deletion candidate. */
  listedAt: timestamp('listed_at', { withTimezone: true }),
  /**
   * The remote timestamp whose comments were last pulled, set only once they are applied: a page
   * whose comment phase died is fetched again, even though its items are already linked.
   */
  commentsSyncedAt: text('comments_synced_at'),
  /**
   * Taken from `link_write_seq` when a push records what it wrote. A pull takes a number from the same
   * sequence before it fetches a page; a link written after that number may be newer than the page.
   */
  writeSeq: bigint('write_seq', { mode: 'number' }).notNull().default(0),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('external_links_story_uq').on(t.bindingId, t.storyId),
  uniqueIndex('external_links_remote_uq').on(t.bindingId, t.remoteId),
]);

/** Remote comment ↔ hub comment per binding. */
export const commentLinks = pgTable('comment_links', {
  id: uuid('id').primaryKey().defaultRandom(),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  commentId: uuid('comment_id').notNull().references(() => comments.id, { onDelete: 'cascade' }),
  /**
   * Null while a push is posting the comment: the row is written before the remote call, so a
   * retry after a crash looks for the posted comment (by body) before posting again.
   */
  remoteCommentId: text('remote_comment_id'),
  /** The body as last synced (while pending: the body being posted), to tell edits from echoes. */
  syncedBody: text('synced_body').notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('comment_links_comment_uq').on(t.bindingId, t.commentId),
  uniqueIndex('comment_links_remote_uq').on(t.bindingId, t.remoteCommentId),
]);

/** Hub attachment ↔ remote attachment per binding; matched by name plus remote id. */
export const attachmentLinks = pgTable('attachment_links', {
  id: uuid('id').primaryKey().defaultRandom(),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  attachmentId: uuid('attachment_id').notNull().references(() => attachments.id, { onDelete: 'cascade' }),
  /** Null while a push is uploading it (written first, so a retry after a crash adopts the upload). */
  remoteAttachmentId: text('remote_attachment_id'),
  name: text('name').notNull(),
  createdAt: createdAt(),
}, (t) => [
  uniqueIndex('attachment_links_attachment_uq').on(t.bindingId, t.attachmentId),
  uniqueIndex('attachment_links_remote_uq').on(t.bindingId, t.remoteAttachmentId),
]);

/** Remote items pulled but not yet imported, for bindings whose import policy is 'review'. */
export const inbox = pgTable('inbox', {
  id: uuid('id').primaryKey().defaultRandom(),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  remoteId: text('remote_id').notNull(),
  remoteKey: text('remote_key').notNull(),
  item: jsonb('item').$type<RemoteItem>().notNull(),
  state: text('state').notNull().default('pending'),
  receivedAt: createdAt(),
}, (t) => [uniqueIndex('inbox_remote_uq').on(t.bindingId, t.remoteId)]);

/** One initial sync, pull, push, backlog drain or connection test, mirrored from Temporal. */
export const runs = pgTable('runs', {
  id: uuid('id').primaryKey().defaultRandom(),
  kind: text('kind').notNull(),
  workflowId: text('workflow_id').notNull(),
  /** The first execution's run id: stable across continue-as-new, so one run row covers the whole chain. */
  temporalRunId: text('temporal_run_id').notNull(),
  bindingId: uuid('binding_id').references(() => bindings.id, { onDelete: 'set null' }),
  status: text('status').notNull().default('running'),
  counts: jsonb('counts').$type<RunCounts>().notNull().default({ created: 0, updated: 0, unchanged: 0, failed: 0 }),
  progress: jsonb('progress').$type<Record<string, unknown>>(),
  error: text('error'),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('runs_workflow_uq').on(t.workflowId, t.temporalRunId),
  index('runs_binding_idx').on(t.bindingId, t.startedAt),
]);

export interface RunCounts { created: number; updated: number; unchanged: number; failed: number }

/** Hub changes, written in the same transaction as the change (transactional outbox). */
export const outboxEvents = pgTable('outbox_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  projectId: uuid('project_id').notNull(),
  storyId: uuid('story_id').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  time: timestamp('time', { withTimezone: true }).notNull().defaultNow(),
  actor: text('actor').notNull(),
  /** 'hub' or the binding id whose pull caused the change (echo prevention). */
  origin: text('origin').notNull(),
  changes: jsonb('changes').$type<{ field: string; added: unknown; removed: unknown }[]>().notNull(),
  storyVersion: integer('story_version').notNull(),
});

/**
 * Events not yet relayed to Temporal, by id: written with the event, deleted by the relay that sends it.
 * A queue of its own, so relaying an event deletes a small row instead of rewriting the event (a
 * create's event holds the story's whole body).
 */
export const outboxPending = pgTable('outbox_pending', {
  eventId: bigint('event_id', { mode: 'number' }).primaryKey(),
});

/** Events a remote rejected for good: visible, retryable, droppable. */
export const deadLetters = pgTable('dead_letters', {
  id: uuid('id').primaryKey().defaultRandom(),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  storyId: uuid('story_id').notNull(),
  eventId: bigint('event_id', { mode: 'number' }).notNull(),
  error: text('error').notNull(),
  state: text('state').notNull().default('open'),
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
});

/** What each push wrote, per story and binding. */
export const pushLog = pgTable('push_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  storyId: uuid('story_id').notNull(),
  storyVersion: integer('story_version').notNull(),
  operation: text('operation').notNull(),
  fields: jsonb('fields').$type<string[]>().notNull().default([]),
  outcome: text('outcome').notNull(),
  error: text('error'),
  at: createdAt(),
}, (t) => [index('push_log_story_idx').on(t.storyId, t.at)]);

/** A plugin action's run (see activities/actions.ts): queued by the API, run by the `runAction` workflow. */
export const jobs = pgTable('jobs', {
  id: uuid('id').primaryKey(),
  plugin: text('plugin').notNull(),
  action: text('action').notNull(),
  /** The validated request body. Params hold no secrets by contract; they are still never logged. */
  params: jsonb('params').$type<Record<string, unknown>>().notNull(),
  status: text('status').notNull().default('queued'),
  /** 0..1, as the action last reported it; null until it reports one. */
  progress: doublePrecision('progress'),
  result: jsonb('result'),
  /** One secret-free line (lib/error-summary.ts safeMessage). */
  error: text('error'),
  /** The API token that queued it; kept when the token is revoked, unset when it is deleted. */
  createdBy: uuid('created_by').references(() => apiTokens.id, { onDelete: 'set null' }),
  /** Milliseconds, as a JavaScript Date holds them: `GET /jobs` pages on (createdAt, id). */
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [
  check('jobs_status_ck', sql`${t.status} in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
  check('jobs_progress_ck', sql`${t.progress} is null or (${t.progress} >= 0 and ${t.progress} <= 1)`),
  index('jobs_created_idx').on(t.createdAt, t.id),
  index('jobs_plugin_idx').on(t.plugin, t.status, t.createdAt),
]);

/** What an action reported while it ran (`ctx.progress`), in order: a row each, so a long job pages. */
export const jobEntries = pgTable('job_entries', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  jobId: uuid('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  message: text('message').notNull(),
  progress: doublePrecision('progress'),
  data: jsonb('data'),
}, (t) => [index('job_entries_job_idx').on(t.jobId, t.id)]);

/**
 * Hook points fired and not yet handed to Temporal: written in the transaction of the change that
 * fired them (or right after it), moved to a `hook/<id>` workflow by the outbox relay, then deleted.
 * Written only when some loaded plugin listens on the point.
 */
export const hookFirings = pgTable('hook_firings', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  point: text('point').notNull(),
  payload: jsonb('payload').$type<object>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One hook's run on one firing: what `GET /hooks/runs` shows. Kept for HOOK_RUN_RETENTION_DAYS. */
export const hookRuns = pgTable('hook_runs', {
  firingId: bigint('firing_id', { mode: 'number' }).notNull(),
  plugin: text('plugin').notNull(),
  hook: text('hook').notNull(),
  point: text('point').notNull(),
  /** `retrying` after a failed attempt with attempts left; `failed` once they are spent. */
  status: text('status').notNull(),
  attempts: integer('attempts').notNull(),
  /** One secret-free line (lib/error-summary.ts safeMessage). */
  error: text('error'),
  firedAt: timestamp('fired_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.firingId, t.plugin, t.hook] }),
  check('hook_runs_status_ck', sql`${t.status} in ('succeeded', 'retrying', 'failed')`),
  index('hook_runs_updated_idx').on(t.updatedAt),
  index('hook_runs_status_idx').on(t.status, t.updatedAt),
]);

/**
 * Event sinks: where hub changes are published (AMQP, signed webhooks, plugin kinds), for one project
 * or (projectId null) for all. Secrets (an AMQP URL with its password, a webhook signing secret) are
 * sealed like a connection's.
 */
export const sinks = pgTable('sinks', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  kind: text('kind').notNull(),
  projectId: uuid('project_id').references(() => projects.id, { onDelete: 'cascade' }),
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  secretsSealed: text('secrets_sealed').notNull(),
  /** active | paused: a paused sink keeps queueing events and delivers them, in order, on resume. */
  state: text('state').notNull().default('active'),
  delivered: bigint('delivered', { mode: 'number' }).notNull().default(0),
  failed: bigint('failed', { mode: 'number' }).notNull().default(0),
  lastDeliveredAt: timestamp('last_delivered_at', { withTimezone: true }),
  /** The last transient failure while the queue's head waits for a retry; null once it delivers. */
  lastError: text('last_error'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
}, (t) => [check('sinks_state_ck', sql`${t.state} in ('active', 'paused')`)]);

/** Each sink's backlog: the outbox events it has still to publish, delivered in event id order. */
export const sinkQueue = pgTable('sink_queue', {
  sinkId: uuid('sink_id').notNull().references(() => sinks.id, { onDelete: 'cascade' }),
  eventId: bigint('event_id', { mode: 'number' }).notNull(),
  queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.sinkId, t.eventId] })]);

/** Events a sink refused for good: listed, retryable and droppable; the sink went on with the rest. */
export const sinkDeadLetters = pgTable('sink_dead_letters', {
  id: uuid('id').primaryKey().defaultRandom(),
  sinkId: uuid('sink_id').notNull().references(() => sinks.id, { onDelete: 'cascade' }),
  eventId: bigint('event_id', { mode: 'number' }).notNull(),
  error: text('error').notNull(),
  state: text('state').notNull().default('open'),
  createdAt: createdAt(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
}, (t) => [index('sink_dead_letters_sink_idx').on(t.sinkId, t.state, t.createdAt)]);

/**
 * The explain log: every field write a pull or a push made (and every conflict, comment and file
 * crossing), with the rule, the policy and the base, hub and remote values that decided it. Written in
 * the transaction of the write it explains; kept for EXPLAIN_RETENTION_DAYS.
 */
export const activity = pgTable('activity', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  storyId: uuid('story_id').notNull().references(() => stories.id, { onDelete: 'cascade' }),
  bindingId: uuid('binding_id').notNull().references(() => bindings.id, { onDelete: 'cascade' }),
  /** The sync that wrote: a pull, a push, or the create of a story (pull) or of a remote item (push). */
  direction: text('direction').notNull(),
  kind: text('kind').notNull(),
  /** Where the value went: the hub, the remote, or nowhere (a conflict the hub won on a pull). */
  target: text('target').notNull(),
  field: text('field'),
  remoteField: text('remote_field'),
  rule: text('rule'),
  policy: text('policy'),
  base: jsonb('base'),
  hub: jsonb('hub'),
  remote: jsonb('remote'),
  written: jsonb('written'),
  /**
   * A `create` entry's rules, by hub field: {rule, remoteField, policy}. A story created from a remote
   * item is one entry (its `written` maps each field the rules set to its value), not one per field,
   * so an initial sync's explain log costs one row per item, written with the page's stories.
   */
  rules: jsonb('rules'),
  outcome: text('outcome').notNull(),
  remoteId: text('remote_id'),
  remoteKey: text('remote_key'),
  /** The pull's run, when the write came from one. */
  runId: uuid('run_id'),
  /** For a hub write, the story's version it made; for a remote write, the hub version pushed. */
  storyVersion: integer('story_version'),
  at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
}, (t) => [
  check('activity_direction_ck', sql`${t.direction} in ('pull', 'push', 'create')`),
  check('activity_kind_ck', sql`${t.kind} in ('field', 'conflict', 'comment', 'file', 'delete', 'create')`),
  check('activity_target_ck', sql`${t.target} in ('hub', 'remote', 'none')`),
  index('activity_story_idx').on(t.storyId, t.id),
  index('activity_binding_idx').on(t.bindingId, t.id),
  index('activity_at_idx').on(t.at),
]);
