// What plugins declare connectors with (the SDK exports it), so it imports no HTTP client: `connect` is in ./connect.
import { z } from 'zod';
import type { HttpConfig } from './http/options';
import type { Capability, ConnectorClient, ConnectorDefinition, Limitation } from './types';
import { PermanentError } from './errors';

/**
 * Declares a connector, its config and secrets types inferred from its zod schemas (no interface
 * written twice). The config must carry the HTTP knobs (`httpConfigFields`).
 */
export function defineConnector<ConfigSchema extends z.ZodType<HttpConfig>, SecretsSchema extends z.ZodType, Session, OptionsSchema extends z.ZodType = z.ZodType<unknown>>(
  definition: ConnectorDefinition<z.output<ConfigSchema>, z.output<SecretsSchema>, Session, z.output<OptionsSchema>>
    & { configSchema: ConfigSchema; secretsSchema: SecretsSchema; bindingOptions?: OptionsSchema },
): ConnectorDefinition<z.output<ConfigSchema>, z.output<SecretsSchema>, Session, z.output<OptionsSchema>> {
  return definition;
}

/** The config fields every connector has for its HTTP client: spread them into its config schema. */
export const httpConfigFields = {
  maxRequestsPerSecond: z.number().positive().max(100).default(10),
  maxInlineWaitSeconds: z.number().min(0).max(300).default(30)
    .describe('Rate-limit waits up to this long are slept; longer ones reschedule the activity'),
  timeoutSeconds: z.number().positive().max(300).default(30),
};

const capabilityNames: Record<Capability, string> = { writer: 'write items', comments: 'write comments', attachments: 'sync files' };

/** The capability, or a permanent error naming what the connector cannot do (a binding asking too much). */
export function capability<K extends Capability>(client: ConnectorClient, name: K, connector = 'this connector'): NonNullable<ConnectorClient[K]> {
  const found = client[name];
  if (!found) throw new PermanentError(`${connector} cannot ${capabilityNames[name]}`);
  return found as NonNullable<ConnectorClient[K]>;
}

/** Every `Limitation` a definition may declare in `cannot` (plugins/validate.ts checks against it). */
export const limitations: readonly Limitation[] = ['editComments', 'deleteItems'];

/** Whether the definition declares it cannot do this. */
export const declaresCannot = (definition: Pick<ConnectorDefinition, 'cannot'>, limitation: Limitation): boolean => definition.cannot?.includes(limitation) ?? false;

/** What `GET /connectors` shows: derived from what the definition implements (and says it cannot), never declared twice. */
export interface CapabilityView {
  pull: boolean;
  write: boolean;
  comments: boolean;
  /** Comments it posts can be edited there (false: add-only). */
  commentEdits: boolean;
  /** Items can be deleted there (false: a `delete` policy closes them instead). */
  deleteItems: boolean;
  attachments: boolean;
  conditionalRequests: boolean;
  customFields: boolean;
  /** The hub fields the remote has (what a binding with no rules syncs). */
  fields: string[];
}

export function capabilitiesOf(definition: ConnectorDefinition): CapabilityView {
  return {
    pull: true,
    write: definition.writer !== undefined,
    comments: definition.comments !== undefined,
    commentEdits: definition.comments !== undefined && !declaresCannot(definition, 'editComments'),
    deleteItems: definition.writer !== undefined && !declaresCannot(definition, 'deleteItems'),
    attachments: definition.attachments !== undefined,
    conditionalRequests: definition.conditionalRequests,
    customFields: definition.fields.includes('customFields'),
    fields: [...definition.fields],
  };
}

/** Credential headers of these connectors, for the log redaction list. */
export const secretHeaders = (definitions: readonly ConnectorDefinition[]): string[] =>
  [...new Set(definitions.map((d) => d.http.auth.header.toLowerCase()))];
