import type { Logger } from 'pino';
import type { Db } from '../db/client';
import type { SecretBox } from '../lib/crypto';
import type { ConnectorDefinition } from '../connectors/types';
import type { DestinationPolicy } from '../connectors/http/destination';
import type { PushHooks } from '../sync/ports';

/**
 * What activities ask of Temporal besides running: handed in, so activities import no workflow code
 * (workflows see activities as types, and no cycle runs back).
 */
export interface TemporalControl {
  /** Queues a story's event on its binding's backlog (signal-with-start). */
  signalBacklog(taskQueue: string, binding: { id: string; projectId: string; connector: string }, storyId: string, eventId: number): Promise<void>;
  /** Pauses a binding's pull timer, saying why (bad credentials). */
  pausePullSchedule(bindingId: string, reason: string): Promise<void>;
}

/** Everything activities need, handed in by the worker (or a test) through createActivities. */
export interface ActivityDeps {
  db: Db;
  /** Serializes work per key across workers (see Database.withLock). */
  withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  secretBox: SecretBox;
  getConnector: (slug: string) => ConnectorDefinition;
  logger: Logger;
  /** What activities ask of Temporal; the worker builds it from its client (runtime/temporal-control.ts). */
  temporal?: TemporalControl;
  /** Lets tests count or redirect the connectors' HTTP requests. */
  fetch?: typeof fetch;
  /** Where connections may connect (TRACKBRIDGE_ALLOWED_HOSTS, production); link-local and metadata are refused regardless. */
  destinations?: DestinationPolicy;
  now?: () => Date;
  /** The API's public base URL, for links to hub files on remotes that cannot take uploads. */
  publicUrl?: string;
  /** How long such a link stays valid (FILE_LINK_TTL_SECONDS); a week when unset. */
  fileLinkTtlSeconds?: number;
  /** Minutes between id-only deletion sweeps after pulls (DELETION_SWEEP_MINUTES); an hour when unset. */
  deletionSweepMinutes?: number;
  /** Test hooks, e.g. to kill the process between a remote create and the link write. */
  hooks?: PushHooks;
}
