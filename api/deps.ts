import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db, ListenStatus } from '../db/client';
import type { SecretBox } from '../lib/crypto';
import type { ConnectorDefinition } from '../connectors/types';

export interface ApiDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  connectors: readonly ConnectorDefinition[];
  secretBox: SecretBox;
  logger: Logger;
  /** Probes for /health; each throws when its dependency is down. */
  checks: { database(): Promise<void>; temporal(): Promise<void>; listeners?(): ListenStatus[] };
}
