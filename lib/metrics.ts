import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics (prom-client). Counters are counted where things happen, in this
 * process; the gauges read the database when scraped (`registerDatabaseGauges`), so they say the
 * same whichever process serves them. README: Operations, Metrics.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'trackbridge_process_' });

const registers = [registry];

export const remoteRequests = new Counter({
  name: 'trackbridge_remote_requests_total', help: 'HTTP requests to remote trackers, by service and status (error: no response)',
  labelNames: ['service', 'status'] as const, registers,
});
export const rateLimitWaits = new Counter({
  name: 'trackbridge_rate_limit_waits_total', help: 'Times a remote rate limit (or our pacer) made a request wait', labelNames: ['service'] as const, registers,
});
export const rateLimitWaitSeconds = new Counter({
  name: 'trackbridge_rate_limit_wait_seconds_total', help: 'Seconds spent waiting on remote rate limits in-process', labelNames: ['service'] as const, registers,
});
export const itemsPulled = new Counter({
  name: 'trackbridge_items_pulled_total', help: 'Remote items applied by pulls, by outcome (created, updated, unchanged, inboxed, failed)',
  labelNames: ['outcome'] as const, registers,
});
export const pushes = new Counter({
  name: 'trackbridge_pushes_total', help: 'Pushes of a story to a remote, by outcome (created, updated, deleted, unchanged, deferred, skipped, dead-letter, failed)',
  labelNames: ['outcome'] as const, registers,
});
export const deadLettersCreated = new Counter({
  name: 'trackbridge_dead_letters_created_total', help: 'Dead letters created: of a binding (a refused remote write) or of a sink (a refused event)',
  labelNames: ['kind'] as const, registers,
});
export const webhookDeliveries = new Counter({
  name: 'trackbridge_webhook_deliveries_total', help: 'Webhooks received, by source and result (accepted, bad_signature, …)',
  labelNames: ['source', 'result'] as const, registers,
});
export const authFailures = new Counter({
  name: 'trackbridge_auth_failures_total',
  help: 'API requests refused authentication, by reason (missing, bad_token, bad_session, bad_metrics_token; address_limited: answered 429 unchecked after too many failures from the address)',
  labelNames: ['reason'] as const, registers,
});

/** What the database gauges read, one query each, when Prometheus scrapes. */
export interface DatabaseReadings {
  sinks(): Promise<{ id: string; name: string; kind: string; delivered: number; failed: number; backlog: number; oldestAgeSeconds: number | null }[]>;
  relayLagSeconds(): Promise<number>;
  openDeadLetters(): Promise<number>;
  failedHookRuns(): Promise<number>;
}

let registered = false;

/** Registers the gauges read from the database (once per process). */
export function registerDatabaseGauges(read: DatabaseReadings): void {
  if (registered) return;
  registered = true;
  const sinkGauge = (name: string, help: string, pick: (s: Awaited<ReturnType<DatabaseReadings['sinks']>>[number]) => number | null) =>
    new Gauge({
      name, help, labelNames: ['sink', 'name', 'kind'] as const, registers,
      async collect() {
        this.reset();
        for (const s of await read.sinks()) {
          const value = pick(s);
          if (value !== null) this.set({ sink: s.id, name: s.name, kind: s.kind }, value);
        }
      },
    });
  sinkGauge('trackbridge_sink_events_published', 'Events a sink accepted, since it was created', (s) => s.delivered);
  sinkGauge('trackbridge_sink_events_failed', 'Events a sink refused for good (its dead letters), since it was created', (s) => s.failed);
  sinkGauge('trackbridge_sink_backlog_size', 'Events waiting on a sink', (s) => s.backlog);
  sinkGauge('trackbridge_sink_backlog_age_seconds', 'Age of the oldest event waiting on a sink (0 when none waits)', (s) => s.oldestAgeSeconds ?? 0);
  new Gauge({
    name: 'trackbridge_outbox_relay_lag_seconds', help: 'Age of the oldest outbox event not yet relayed to Temporal (0 when none waits)', registers,
    async collect() { this.set(await read.relayLagSeconds()); },
  });
  new Gauge({
    name: 'trackbridge_dead_letters_open', help: 'Open dead letters of bindings', registers,
    async collect() { this.set(await read.openDeadLetters()); },
  });
  new Gauge({
    name: 'trackbridge_hook_runs_failed', help: 'Plugin hook runs that failed for good, within the retention', registers,
    async collect() { this.set(await read.failedHookRuns()); },
  });
}
