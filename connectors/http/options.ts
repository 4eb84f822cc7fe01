import { createHash } from 'node:crypto';
import type { Logger } from '../types';
import type { DestinationPolicy } from './destination';

/** The config knobs every connector exposes for its HTTP client. */
export interface HttpConfig {
  baseUrl: string;
  maxRequestsPerSecond: number;
  maxInlineWaitSeconds: number;
  timeoutSeconds: number;
}

/**
 * HTTP client options every connector derives the same way. Pacing is shared per account
 * (a hash of connector, base URL and credential), since activities connect once per call.
 */
export function connectorHttpOptions(slug: string, ctx: { config: HttpConfig; logger: Logger; fetch?: typeof fetch; destinations?: DestinationPolicy }, credential: string) {
  const { config } = ctx;
  return {
    baseUrl: config.baseUrl,
    secrets: [credential],
    pacingKey: createHash('sha256').update(`${slug}\0${config.baseUrl}\0${credential}`).digest('hex').slice(0, 24),
    pacing: { maxRequestsPerSecond: config.maxRequestsPerSecond },
    retry: { maxInlineWaitMs: config.maxInlineWaitSeconds * 1000 },
    timeoutMs: config.timeoutSeconds * 1000,
    logger: ctx.logger,
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    ...(ctx.destinations ? { destinations: ctx.destinations } : {}),
  };
}
