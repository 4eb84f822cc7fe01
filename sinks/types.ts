import type { z } from 'zod';
import type { Egress } from '../connectors/http/refusal';
import type { ItemFields, Json, Logger } from '../connectors/types';

/**
 * What every sink receives for one hub change: bmo's push shape (`event` with its `changes`), the
 * story as it is when the message is built, and a schema version. Comments and files travel as
 * their own messages (`target` comment / attachment), as bmo's do.
 */
export interface ChangeMessage {
  schemaVersion: 1;
  /** The outbox event's id: increasing, the idempotency key for consumers (at-least-once delivery). */
  eventId: number;
  event: {
    action: 'create' | 'modify' | 'delete' | 'comment' | 'attach';
    target: 'story' | 'comment' | 'attachment';
    /** The comment's or file's id when the target is one. */
    targetId: string | null;
    time: string;
    /** Who made the change: the API token's name, or the remote user a pull reports. */
    user: string | null;
    /** `hub`, or the binding id when a pull made the change. */
    origin: string;
    /** The story's version after this change. */
    storyVersion: number;
    changes: { field: string; added: Json; removed: Json }[];
  };
  project: { id: string; key: string };
  /** The story now (it may be newer than the event: compare `event.storyVersion`); null once it was deleted for good. */
  story: ChangeStory | null;
}

/** The story in a change message: its synced fields, plus its identity, version and times. */
export interface ChangeStory extends ItemFields {
  id: string;
  projectId: string;
  version: number;
  /** Soft-deleted in the hub. */
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface SinkPublisher {
  /**
   * Resolves once the message is durably accepted (a broker's confirm, a 2xx). Throw a
   * `TransientError` (or any other error) to be retried, oldest first; a `PermanentError` makes the
   * event a dead letter and the sink goes on with the next one.
   */
  publish(message: ChangeMessage): Promise<void>;
  /**
   * Optional: publishes several in order and resolves once all are accepted (a broker that confirms
   * a pipeline of messages). On a failure the whole batch is sent again, one by one: a consumer
   * dedupes on `eventId`.
   */
  publishMany?(messages: ChangeMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface SinkDefinition<Config = unknown, Secrets = unknown> {
  /** The sink kind, [a-z0-9-]. */
  kind: string;
  description: string;
  configSchema: z.ZodType<Config>;
  /** Sealed at rest, never returned or logged; omit when the kind has none. */
  secretsSchema?: z.ZodType<Secrets>;
  /**
   * The URLs the sink will connect to, checked against the egress policy when it is created or
   * changed (400 naming the field). Without it, a string `config.url` is checked.
   */
  destinations?(settings: { config: Config; secrets: Secrets }): { path: string; url: string }[];
  /**
   * Opens a publisher; the worker keeps it open across batches and reopens it after a failure. Every
   * connection goes through `ctx.egress` (its `fetch`, or `checkHost` for other protocols): the egress
   * policy is checked again there, at every connect. A refusal holds the sink's queue; it is not a
   * dead letter of the event.
   */
  open(settings: { config: Config; secrets: Secrets }, ctx: { logger: Logger; sinkId: string; egress: Egress }): Promise<SinkPublisher>;
}
