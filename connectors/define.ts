import { z } from 'zod';
import { createHttpClient, type RetryPolicy } from './http/client';
import type { DestinationPolicy } from './http/destination';
import { connectorHttpOptions, type HttpConfig } from './http/options';
import type { Capability, ConnectorClient, ConnectorContext, ConnectorDefinition } from './types';
import { PermanentError } from './errors';

/**
 * Declares a connector, its config and secrets types inferred from its zod schemas (no interface
 * written twice). The config must carry the HTTP knobs (`httpConfigFields`).
 */
export function defineConnector<ConfigSchema extends z.ZodType<HttpConfig>, SecretsSchema extends z.ZodType, Session>(
  definition: ConnectorDefinition<z.output<ConfigSchema>, z.output<SecretsSchema>, Session> & { configSchema: ConfigSchema; secretsSchema: SecretsSchema },
): ConnectorDefinition<z.output<ConfigSchema>, z.output<SecretsSchema>, Session> {
  return definition;
}

/** The config fields every connector has for its HTTP client: spread them into its config schema. */
export const httpConfigFields = {
  maxRequestsPerSecond: z.number().positive().max(100).default(10),
  maxInlineWaitSeconds: z.number().min(0).max(300).default(30)
    .describe('Rate-limit waits up to this long are slept; longer ones reschedule the activity'),
  timeoutSeconds: z.number().positive().max(300).default(30),
};

export interface ConnectOptions {
  config: unknown;
  secrets: unknown;
  logger: ConnectorContext<unknown, unknown>['logger'];
  /** Injected so tests and the benchmark can count or redirect requests. */
  fetch?: typeof fetch;
  /** Where the connector's requests may go (connectors/http/destination.ts). */
  destinations?: DestinationPolicy;
  /** Overrides the HTTP client's retries for this client (a backlog's probe retries none in-process). */
  retry?: Partial<RetryPolicy>;
}

/**
 * Connects a definition: validates config and secrets, builds the HTTP client from its declaration,
 * and opens the reader and every capability it implements.
 */
export function connect<Config, Secrets, Session>(definition: ConnectorDefinition<Config, Secrets, Session>, options: ConnectOptions): ConnectorClient {
  const config = definition.configSchema.parse(options.config);
  const secrets = definition.secretsSchema.parse(options.secrets);
  const credential = definition.http.auth.value(secrets);
  const httpOptions = connectorHttpOptions(definition.slug, { ...options, config: config as HttpConfig }, credential);
  const http = createHttpClient({
    service: definition.http.service,
    headers: { 'user-agent': 'trackbridge', ...definition.http.headers, [definition.http.auth.header]: credential },
    ...(definition.http.describeError ? { describeError: definition.http.describeError } : {}),
    ...withBackoff({ ...httpOptions, retry: { ...httpOptions.retry, ...options.retry } }, definition.http.rateLimitBackoff),
  });
  const ctx: ConnectorContext<Config, Secrets> = { config, secrets, logger: options.logger, http };
  const session = definition.session(ctx);
  return {
    ...definition.reader(session, ctx),
    ...(definition.writer ? { writer: definition.writer(session, ctx) } : {}),
    ...(definition.comments ? { comments: definition.comments(session, ctx) } : {}),
    ...(definition.attachments ? { attachments: definition.attachments(session, ctx) } : {}),
  };
}

/** The declared backoff for rate limits that say not how long, next to the config's retry knobs. */
function withBackoff<T extends { retry: object }>(options: T, backoff: { baseMs: number; maxMs: number } | undefined): T {
  return backoff ? { ...options, retry: { ...options.retry, rateLimitBackoff: backoff } } : options;
}

const capabilityNames: Record<Capability, string> = { writer: 'write items', comments: 'write comments', attachments: 'sync files' };

/** The capability, or a permanent error naming what the connector cannot do (a binding asking too much). */
export function capability<K extends Capability>(client: ConnectorClient, name: K, connector = 'this connector'): NonNullable<ConnectorClient[K]> {
  const found = client[name];
  if (!found) throw new PermanentError(`${connector} cannot ${capabilityNames[name]}`);
  return found as NonNullable<ConnectorClient[K]>;
}

/** What `GET /connectors` shows: derived from what the definition implements, never declared twice. */
export interface CapabilityView {
  pull: boolean;
  write: boolean;
  comments: boolean;
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
    attachments: definition.attachments !== undefined,
    conditionalRequests: definition.conditionalRequests,
    customFields: definition.fields.includes('customFields'),
    fields: [...definition.fields],
  };
}

/** Credential headers of these connectors, for the log redaction list. */
export const secretHeaders = (definitions: readonly ConnectorDefinition[]): string[] =>
  [...new Set(definitions.map((d) => d.http.auth.header.toLowerCase()))];
