import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db, ListenStatus } from '../db/client';
import type { SecretBox } from '../lib/crypto';
import type { ConnectorDefinition } from '../connectors/types';
import type { DestinationPolicy } from '../connectors/http/destination';
import type { ApiLimits } from './limits';
import type { AddressRange } from '../lib/config';
import type { LoadedPlugin } from '../plugins/registry';

export interface ApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** Where a connection's baseUrl may point; without one only link-local and metadata addresses are refused. */
  destinations?: DestinationPolicy;
  connectors: readonly ConnectorDefinition[];
  /** Loaded plugins (the core's own first) for `GET /plugins` and the action routes; the process's own when omitted. */
  plugins?: readonly LoadedPlugin[];
  secretBox: SecretBox;
  logger: Logger;
  /** Probes for /health; each throws when its dependency is down. */
  checks: { database(): Promise<void>; temporal(): Promise<void>; listeners?(): ListenStatus[] };
  /** Enables `GET /metrics` behind this bearer token (not an API token). */
  metricsToken?: string;
  /** TRUSTED_PROXIES: reverse proxies whose X-Forwarded-For names the client; without them the header is ignored. */
  trustedProxies?: readonly AddressRange[];
  /** Body, upload, rate and time limits; each omitted one takes its configuration default. */
  limits?: Partial<ApiLimits>;
  /** The console's session cookie: Secure unless `secureCookie` is false (development over plain http), 8 h unless `ttlSeconds`. */
  session?: { secureCookie?: boolean; ttlSeconds?: number };
}
