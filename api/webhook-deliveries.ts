import { webhookDeliveries } from '../lib/metrics';

/**
 * Incoming webhook deliveries by outcome, counted in this process since it started. A metrics exporter
 * reads `webhookDeliveryCounts()`; nothing here knows about one.
 */
export const WEBHOOK_RESULTS = [
  /** Verified, and the item's fetch was started (or signalled) on at least one binding. */
  'accepted',
  /** Verified, but nothing to fetch: an event or item not synced, or no binding of that scope. */
  'ignored',
  'ping',
  /** Missing or wrong signature; also an unknown connection or one without a webhook secret (answered alike). */
  'bad_signature',
  /** A poke whose signed timestamp is over five minutes away from now. */
  'stale',
  /** Verified, but the body is not what the route takes. */
  'invalid',
  'too_large',
  'rate_limited',
  /** Temporal or the database could not take it: the sender should retry. */
  'unavailable',
] as const;

export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

const counts = Object.fromEntries(WEBHOOK_RESULTS.map((r) => [r, 0])) as Record<WebhookResult, number>;

export function countWebhookDelivery(result: WebhookResult, source = 'other'): void {
  counts[result]++;
  webhookDeliveries.inc({ source, result });
}

/** A copy of the counters: `webhookDeliveries{result}`. */
export function webhookDeliveryCounts(): Readonly<Record<WebhookResult, number>> {
  return { ...counts };
}
