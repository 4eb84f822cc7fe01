import type { ConnectorClient } from '../connectors/types';
import type { Binding } from '../db/bindings';
import type { Db } from '../db/client';
import type { EffectiveRules } from '../rules';

/** Test hooks at the push's crash points. */
export interface PushHooks {
  /** Between a remote create and its link write (tests kill the process here, I1). */
  afterRemoteCreate?: () => void;
  afterRemoteComment?: () => void;
  /** Between a push's read of the remote item and its write (tests inject a remote edit here, C1). */
  beforeRemoteWrite?: (at: { bindingId: string; storyId: string; remoteId: string }) => Promise<void> | void;
}

/** What the push works with, and nothing more: the hub, one binding's remote, and a way to call it. */
export interface PushPorts {
  db: Db;
  binding: Binding;
  /** The connector's slug. */
  connector: string;
  /** The binding's rules, the connector's defaults filled in. */
  rules: EffectiveRules;
  client: ConnectorClient;
  /** Runs a remote call; failures come back translated, permanent ones as they are (the caller's dead letter). */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
  /** A signed link to a hub file, for remotes that take a link instead of the upload. */
  fileUrl: (attachmentId: string) => string;
  hooks?: PushHooks | undefined;
}
