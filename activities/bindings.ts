import { AUTH_PAUSE_REASON, bindingWithConnection, transitionBinding, type Binding } from '../db/bindings';
import type { ConnectorClient } from '../connectors/types';
import type { RetryPolicy } from '../connectors/http/client';
import { isAuthError, isPermanentError } from '../connectors/errors';
import type { ActivityDeps } from './deps';
import { notFound, toFailure } from './failures';
import { connectRow } from './remote';
import { bindingContext, effectiveRules, type EffectiveRules } from '../rules';
import { reportRemoteWait } from './remote-wait';
import type { BindingPorts, PullPorts } from '../sync/ports';

export interface BoundClient {
  binding: Binding;
  connector: string;
  /** The binding's rules with the connector's defaults filled in (what its client was told of). */
  rules: EffectiveRules;
  client: ConnectorClient;
}

/**
 * A binding with a connected client for its remote: one query for both rows, on every page and push.
 * `retry` overrides the client's HTTP retries (connectors/http/client.ts).
 */
export async function openBinding(deps: ActivityDeps, bindingId: string, retry?: Partial<RetryPolicy>): Promise<BoundClient> {
  const row = await bindingWithConnection(deps.db, bindingId);
  if (!row) throw notFound(`binding ${bindingId}`);
  const rules = effectiveRules(row.binding.rules, row.connection.connector);
  const { client } = connectRow(deps, row.connection, retry, bindingContext(row.binding.id, rules));
  return { binding: row.binding, connector: row.connection.connector, rules, client };
}

/** Rejected credentials pause the binding and its pull timer instead of retrying forever. */
export async function pauseForAuth(deps: ActivityDeps, bindingId: string, message: string): Promise<void> {
  await transitionBinding(deps.db, bindingId, 'paused', `${AUTH_PAUSE_REASON} (${message})`);
  if (deps.temporal) await deps.temporal.pausePullSchedule(bindingId, `bad credentials: ${message}`);
  deps.logger.warn({ bindingId }, 'binding paused: the remote rejected its credentials');
}

/**
 * Runs a remote call for a binding, translating errors where they are born. With `throwPermanent`,
 * permanent errors are rethrown as they are, for the caller to turn into a dead letter.
 */
export async function remoteCall<T>(deps: ActivityDeps, bindingId: string, fn: () => Promise<T>, opts: { throwPermanent?: boolean } = {}): Promise<T> {
  try {
    const result = await fn();
    await reportRemoteWait(deps, bindingId, { ok: true });
    return result;
  } catch (err) {
    await reportRemoteWait(deps, bindingId, { error: err });
    if (isAuthError(err)) await pauseForAuth(deps, bindingId, err.message);
    if (opts.throwPermanent && isPermanentError(err)) throw err;
    throw toFailure(err);
  }
}

/** Minutes between id-only deletion sweeps after pulls when the worker was not told (DELETION_SWEEP_MINUTES). */
const DEFAULT_SWEEP_MINUTES = 60;

/** What the pull and the push both work with: the hub, the opened binding and its client, and `call` for remote calls. */
export function bindingPorts(deps: ActivityDeps, bound: BoundClient, call: BindingPorts['call']): BindingPorts {
  return { db: deps.db, binding: bound.binding, connector: bound.connector, rules: bound.rules, client: bound.client, call };
}

/** The pull engine's narrow view of the activity's dependencies (sync/ports.ts). */
export function pullPorts(deps: ActivityDeps, bound: BoundClient): PullPorts {
  return {
    ...bindingPorts(deps, bound, (fn) => remoteCall(deps, bound.binding.id, fn)),
    logger: deps.logger,
    now: () => deps.now?.() ?? new Date(),
    deletionSweepMinutes: deps.deletionSweepMinutes ?? DEFAULT_SWEEP_MINUTES,
    markerForm: deps.getConnector(bound.connector).markerForm,
  };
}
