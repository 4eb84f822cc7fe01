import { connectionRow, type ConnectionRow } from '../db/connections';
import { connect } from '../connectors/connect';
import type { BindingContext, ConnectorClient, ConnectorDefinition } from '../connectors/types';
import type { RetryPolicy } from '../connectors/http/client';
import type { ActivityDeps } from './deps';
import { notFound } from './failures';
import { connectorSecretsOf } from '../lib/connection-secrets';

/** Loads a connection, opens its secrets and returns a connected client. Secrets stay in this process. */
export async function openConnection(deps: ActivityDeps, connectionId: string): Promise<{ connector: ConnectorDefinition; client: ConnectorClient }> {
  const row = await connectionRow(deps.db, connectionId);
  if (!row) throw notFound(`connection ${connectionId}`);
  return connectRow(deps, row);
}

/**
 * A connected client for a connection row already in hand; `retry` overrides its HTTP client's retries,
 * `binding` tells the client which binding it works for (rules/context.ts).
 */
export function connectRow(
  deps: ActivityDeps, row: ConnectionRow, retry?: Partial<RetryPolicy>, binding?: BindingContext<unknown>,
): { connector: ConnectorDefinition; client: ConnectorClient } {
  return connectWith(deps, row, row.config, deps.secretBox.open(row.secretsSealed), retry, binding);
}

/**
 * A connected client for a connection's candidate config and secrets (sealed by the API as
 * `{config, secrets}`), for testing a change before it is saved.
 */
export async function openCandidate(deps: ActivityDeps, connectionId: string, sealed: string): Promise<{ connector: ConnectorDefinition; client: ConnectorClient }> {
  const row = await connectionRow(deps.db, connectionId);
  if (!row) throw notFound(`connection ${connectionId}`);
  const candidate = deps.secretBox.open<{ config: Record<string, unknown>; secrets: unknown }>(sealed);
  return connectWith(deps, row, candidate.config, candidate.secrets);
}

function connectWith(
  deps: ActivityDeps, row: Pick<ConnectionRow, 'id' | 'connector'>, config: unknown, secrets: unknown, retry?: Partial<RetryPolicy>, binding?: BindingContext<unknown>,
) {
  const connector = deps.getConnector(row.connector);
  const client = connect(connector, {
    config,
    // The webhook secret is the platform's; the connector sees only its own secrets.
    secrets: connectorSecretsOf(secrets),
    logger: deps.logger.child({ connection: row.id, connector: row.connector }),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.destinations ? { destinations: deps.destinations } : {}),
    ...(retry ? { retry } : {}),
    ...(binding ? { binding } : {}),
  });
  return { connector, client };
}
