import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { externalLinks, outboxEvents, runs } from '../../db/schema';
import { percentile, round1, sleep } from '../push';
import type { Scenario } from '../scenario';
import { githubConfig } from '../stack';

interface Edit { number: number; title: string; sentAt: number }

/**
 * P7: remote edit → hub through a webhook. Issues are synced first; then the double's repository
 * webhook is pointed at the API (served on a port, no bearer token, signed with the connection's
 * secret) and issues are edited on the double open-loop at a steady rate, round-robin. Latency of an
 * edit = the hub's change event carrying its title (`outbox_events.time`, the apply's transaction)
 * minus the moment of the edit. No scheduled pull runs meanwhile (a day's interval).
 */
export const p7: Scenario = {
  id: 'P7',
  title: 'Webhook latency',
  async run(ctx, rec) {
    const { stories: n, seconds } = ctx.size.push;
    const rate = 10;
    const [stack, double] = await Promise.all([ctx.mainStack(), ctx.github()]);
    const repo = `bench/webhooks-${Math.random().toString(36).slice(2, 8)}`;
    double.createRepo(repo);
    const numbers = Array.from({ length: n }, (_, i) => double.addIssue(repo, { title: `p7 issue ${i} r0` }).number);
    const secret = randomBytes(32).toString('hex');
    const bound = await stack.bind('github', githubConfig(double), { token: double.token, webhookSecret: secret }, repo);
    const sync = await stack.initialSync(bound.bindingId, 120_000);
    if (sync.result.status !== 'completed') throw new Error(`initial sync of ${repo} did not complete: ${JSON.stringify(sync.result)}`);
    let server: ServerType | undefined;
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: stack.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    });
    try {
      double.setWebhook(`http://127.0.0.1:${port}/webhooks/github/${bound.connectionId}`, secret, { repo });
      await double.settleWebhooks();
      await sleep(1000);
      const total = rate * seconds;
      ctx.log(`  sending ${total} remote edits at ${rate}/s over ${n} issues, each answered by a signed webhook`);
      const edits: Edit[] = [];
      const started = Date.now();
      for (let k = 0; k < total; k++) {
        const wait = started + (k * 1000) / rate - Date.now();
        if (wait > 0) await sleep(wait);
        const number = numbers[k % n]!;
        const title = `p7 issue ${k % n} edit ${k}`;
        edits.push({ number, title, sentAt: Date.now() });
        double.editIssue(repo, number, { title });
      }
      const sendMs = Date.now() - started;

      // Wait until each issue's last title is in the hub (or 30 s).
      const last = new Map(edits.map((e) => [String(e.number), e.title]));
      const hubTitles = async () => new Map((await stack.database.db.select({ remoteId: externalLinks.remoteId, storyId: externalLinks.storyId })
        .from(externalLinks).where(eq(externalLinks.bindingId, bound.bindingId))).map((l) => [l.storyId, l.remoteId ?? '']));
      const links = await hubTitles();
      const events = async () => stack.database.db.select({ storyId: outboxEvents.storyId, time: outboxEvents.time, changes: outboxEvents.changes })
        .from(outboxEvents).where(and(inArray(outboxEvents.storyId, [...links.keys()]), ne(outboxEvents.origin, 'hub')));
      const arrivals = async () => {
        const byTitle = new Map<string, number>();
        for (const ev of await events()) {
          const title = ev.changes.find((c) => c.field === 'title')?.added;
          if (typeof title === 'string' && !byTitle.has(title)) byTitle.set(title, ev.time.getTime());
        }
        return byTitle;
      };
      const deadline = Date.now() + 30_000;
      let arrived = await arrivals();
      while ([...last.values()].some((t) => !arrived.has(t)) && Date.now() < deadline) {
        await sleep(200);
        arrived = await arrivals();
      }
      await double.settleWebhooks();

      const latencies = edits.flatMap((e) => {
        const at = arrived.get(e.title);
        return at === undefined ? [] : [at - e.sentAt];
      }).sort((a, b) => a - b);
      const missing = edits.length - latencies.length;
      const deliveries = double.webhookDeliveries().filter((d) => d.repo === repo && d.event === 'issues');
      const refused = deliveries.filter((d) => d.status !== 202);
      rec.check('every webhook accepted (202)', refused.length === 0, `${refused.length} of ${deliveries.length} answered otherwise, first: ${refused[0]?.status ?? refused[0]?.error ?? ''}`);
      rec.check('every issue\'s last title reached the hub', [...last.values()].every((t) => arrived.has(t)), `${[...last.values()].filter((t) => !arrived.has(t)).length} of ${last.size} missing after 30 s`);
      const pulls = await stack.database.db.$count(runs, and(eq(runs.bindingId, bound.bindingId), eq(runs.kind, 'pull')));
      rec.check('no scheduled pull ran', pulls === 0, `${pulls} pull runs`);
      const writes = double.requests().filter((r) => r.method !== 'GET' && r.path.toLowerCase().startsWith(`/repos/${repo}`.toLowerCase()));
      rec.check('nothing echoed back to the remote', writes.length === 0, `${writes.length} writes to ${repo}`);

      rec.metric('latency p50', percentile(latencies, 50), 'ms', { op: '<=', value: 500 });
      rec.metric('latency p95', percentile(latencies, 95), 'ms');
      rec.metric('latency p99', percentile(latencies, 99), 'ms', { op: '<=', value: 2000 });
      rec.metric('achieved edit rate', round1(edits.length / (sendMs / 1000)), 'edits/s');
      rec.breakdown('latencyMs', { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, n: latencies.length });
      rec.breakdown('edits', { total: edits.length, rate, seconds, issues: n, sendMs, missing, deliveries: deliveries.length });
      rec.note(`${edits.length} remote edits at ${rate}/s over ${n} issues; ${missing} edits were overtaken by the next one before they were read (their title never reached the hub on its own)`);
    } finally {
      double.setWebhook(null);
      await double.settleWebhooks();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    }
  },
};
