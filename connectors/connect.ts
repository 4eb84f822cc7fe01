import { createHttpClient, type RetryPolicy } from './http/client';
import type { DestinationPolicy } from './http/destination';
import { connectorHttpOptions, type HttpConfig } from './http/options';
import { PermanentError } from './errors';
import type { BindingContext, ConnectorClient, ConnectorContext, ConnectorDefinition } from './types';

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
  /** The binding the client works for; `options` are the rules' raw `options`, parsed here by the connector's `bindingOptions`. */
  binding?: BindingContext<unknown>;
}

/**
 * Connects a definition: validates config and secrets, builds the HTTP client from its declaration,
 * and opens the reader and every capability it implements.
 */
export function connect<Config, Secrets, Session, Options>(definition: ConnectorDefinition<Config, Secrets, Session, Options>, options: ConnectOptions): ConnectorClient {
  const config = definition.configSchema.parse(options.config);
  const secrets = definition.secretsSchema.parse(options.secrets);
  const credential = definition.http.auth.value(secrets);
  const httpOptions = connectorHttpOptions(definition.slug, { ...options, config: config as HttpConfig }, credential);
  const http = createHttpClient({
    service: definition.http.service,
    headers: { 'user-agent': 'trackbridge', ...definition.http.headers, [definition.http.auth.header]: credential },
    ...(definition.http.describeError ? { describeError: definition.http.describeError } : {}),
    ...(definition.http.classifyError ? { classifyError: definition.http.classifyError } : {}),
    ...withBackoff({
      ...httpOptions,
      retry: { ...httpOptions.retry, ...options.retry },
      pacing: { ...httpOptions.pacing, ...(definition.http.rateLimitHeaders ? { rateLimitHeaders: definition.http.rateLimitHeaders } : {}) },
    }, definition.http.rateLimitBackoff),
  });
  const ctx: ConnectorContext<Config, Secrets, Options> = {
    config, secrets, logger: options.logger, http,
    ...(options.binding ? { binding: { ...options.binding, options: bindingOptions(definition, options.binding.options) } } : {}),
  };
  const session = definition.session(ctx);
  return {
    ...definition.reader(session, ctx),
    ...(definition.writer ? { writer: definition.writer(session, ctx) } : {}),
    ...(definition.comments ? { comments: definition.comments(session, ctx) } : {}),
    ...(definition.attachments ? { attachments: definition.attachments(session, ctx) } : {}),
  };
}

/** A binding's options for the connector, parsed by its schema (saved rules were checked already; this reads defaults in). */
export function bindingOptions<Options>(definition: Pick<ConnectorDefinition<unknown, unknown, unknown, Options>, 'slug' | 'bindingOptions'>, raw: unknown): Options {
  if (!definition.bindingOptions) return (raw ?? {}) as Options;
  const parsed = definition.bindingOptions.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new PermanentError(`${definition.slug} binding options: ${parsed.error.issues.map((i) => `options.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The declared backoff for rate limits that say not how long, next to the config's retry knobs. */
function withBackoff<T extends { retry: object }>(options: T, backoff: { baseMs: number; maxMs: number } | undefined): T {
  return backoff ? { ...options, retry: { ...options.retry, rateLimitBackoff: backoff } } : options;
}
