import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import type { SecretBox } from '../lib/crypto';
import type { ConnectorDefinition } from '../connectors/types';
import type { DestinationPolicy } from '../connectors/http/destination';
import type { PushHooks } from '../sync/ports';

/** Everything activities need, handed in by the worker (or a test) through createActivities. */
export interface ActivityDeps {
  db: Db;
  /** Serializes work per key across workers (see Database.withLock). */
  withLock: <T>(key: string, fn: () => Promise<T>) => Promise<T>;
  secretBox: SecretBox;
  getConnector: (slug: string) => ConnectorDefinition;
  logger: Logger;
  /** To pause a binding's schedule when its credentials are rejected. */
  temporal?: Client;
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
