import { sql } from 'drizzle-orm';
import type { DatabaseReadings } from '../lib/metrics';
import { queryRows, type Db } from './client';

/** The database side of the Prometheus gauges: cheap aggregate queries, run when scraped. */
export function databaseReadings(db: Db): DatabaseReadings {
  return {
    async sinks() {
      const rows = await queryRows<{ id: string; name: string; kind: string; delivered: string; failed: string; backlog: number; oldest: number | null }>(db, sql`
        select s.id, s.name, s.kind, s.delivered, s.failed, count(q.event_id)::int as backlog,
               extract(epoch from now() - min(e.time))::float8 as oldest
        from sinks s
        left join sink_queue q on q.sink_id = s.id
        left join outbox_events e on e.id = q.event_id
        group by s.id`);
      return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, delivered: Number(r.delivered), failed: Number(r.failed), backlog: r.backlog, oldestAgeSeconds: r.oldest }));
    },
    async relayLagSeconds() {
      const [row] = await queryRows<{ lag: number | null }>(db, sql`
        select extract(epoch from now() - min(e.time))::float8 as lag from outbox_pending p join outbox_events e on e.id = p.event_id`);
      return Math.max(0, row?.lag ?? 0);
    },
    async openDeadLetters() {
      const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from dead_letters where state = 'open'`);
      return row?.n ?? 0;
    },
    async failedHookRuns() {
      const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from hook_runs where status = 'failed'`);
      return row?.n ?? 0;
    },
  };
}
