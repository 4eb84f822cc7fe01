import { eq } from 'drizzle-orm';
import { connections } from '../db/schema';
import { connect } from '../connectors/define';
import type { ConnectorClient, ConnectorDefinition } from '../connectors/types';
import type { ActivityDeps } from './deps';
import { notFound } from './failures';

type ConnectionRow = typeof connections.$inferSelect;

/** Loads a connection, opens its secrets and returns a connected client. Secrets stay in this process. */
export async function openConnection(deps: ActivityDeps, connectionId: string): Promise<{ connector: ConnectorDefinition; client: ConnectorClient }> {
  const [row] = await deps.db.select().from(connections).where(eq(connections.id, connectionId));
  if (!row) throw notFound(`connection ${connectionId}`);
  return connectRow(deps, row);
}

/** A connected client for a connection row already in hand. */
export function connectRow(deps: ActivityDeps, row: ConnectionRow): { connector: ConnectorDefinition; client: ConnectorClient } {
  const connector = deps.getConnector(row.connector);
  const client = connect(connector, {
    config: row.config,
    secrets: deps.secretBox.open(row.secretsSealed),
    logger: deps.logger.child({ connection: row.id, connector: row.connector }),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.destinations ? { destinations: deps.destinations } : {}),
  });
  return { connector, client };
}
