import type { ConnectorClient } from '../connectors/types';
import type { Logger } from '../connectors/logger';
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

/** One binding opened for the engine: the hub, the binding's remote, and a way to call it. */
export interface BindingPorts {
  db: Db;
  binding: Binding;
  /** The connector's slug. */
  connector: string;
  /** The binding's rules, the connector's defaults filled in. */
  rules: EffectiveRules;
  client: ConnectorClient;
  /**
   * Runs a remote call; failures come back translated where they are born (transient, permanent, auth;
   * bad credentials pause the binding). The push gets permanent ones as they are, for its dead letter.
   */
  call: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** What the push works with, and nothing more. */
export interface PushPorts extends BindingPorts {
  /** A signed link to a hub file, for remotes that take a link instead of the upload. */
  fileUrl: (attachmentId: string) => string;
  hooks?: PushHooks | undefined;
}

/** What the pull works with, and nothing more. */
export interface PullPorts extends BindingPorts {
  logger: Pick<Logger, 'warn'>;
  now: () => Date;
  /** Minutes between id-only deletion sweeps after pulls. */
  deletionSweepMinutes: number;
  /** How the connector's items report a create marker, when not as the marker itself (ConnectorDefinition.markerForm). */
  markerForm?: ((marker: string) => string) | undefined;
}
