import { outboxTimes, percentile, pushSetup, round1, signalTimes, sleep } from '../push';
import type { Scenario } from '../scenario';

interface Edit { storyIndex: number; title: string; sentAt: number; respondedAt: number; version: number; error?: string }

/**
 * P2: hub write → remote write. Stories are created and linked first; then PATCH /stories/:id is sent
 * open-loop at a steady rate, round-robin over the stories, so each story is edited every
 * stories/rate seconds (well outside the 1 s burst window: coalescing does not delay).
 */
export const p2: Scenario = {
  id: 'P2',
  title: 'Push latency',
  async run(ctx, rec) {
    const { stories: n, rate, seconds } = ctx.size.push;
    const { stack, double, repo, bound, stories } = await pushSetup(ctx, 'p2', n);
    await sleep(2000);
    const total = rate * seconds;
    ctx.log(`  sending ${total} edits at ${rate}/s over ${n} stories, open-loop`);
    const edits: Edit[] = [];
    const inflight: Array<Promise<void>> = [];
    const started = Date.now();
    for (let k = 0; k < total; k++) {
      const due = started + (k * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const storyIndex = k % n;
      const story = stories[storyIndex]!;
      const title = `p2 story ${storyIndex} edit ${k}`;
      const edit: Edit = { storyIndex, title, sentAt: Date.now(), respondedAt: 0, version: 0 };
      edits.push(edit);
      inflight.push(stack.call('PATCH', `/stories/${story.id}`, { version: story.version, title }).then((s) => {
        edit.respondedAt = Date.now();
        edit.version = s.version as number;
        story.version = Math.max(story.version, edit.version);
      }, (err: unknown) => {
        edit.respondedAt = Date.now();
        edit.error = (err as Error).message;
      }));
    }
    const sendMs = Date.now() - started;
    await Promise.all(inflight);
    const failed = edits.filter((e) => e.error);
    rec.check('every edit accepted by the API', failed.length === 0, failed.length ? `${failed.length} failed, first: ${failed[0]!.error}` : `${edits.length} edits`);

    // Wait until each story's last edit has a PATCH at or after it (or 30 s).
    const lastEdit = new Map<number, Edit>();
    for (const e of edits) lastEdit.set(e.storyIndex, e);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const patches = double.requests({ method: 'PATCH' });
      const missing = [...lastEdit.values()].filter((e) => !patches.some((p) => p.path === stories[e.storyIndex]!.path && p.at >= e.sentAt));
      if (!missing.length || Date.now() > deadline) break;
      await sleep(200);
    }
    await sleep(500);

    const byPath = new Map<string, number[]>();
    for (const p of double.requests({ method: 'PATCH' })) {
      if (p.status >= 300 || p.status === 0) continue;
      let list = byPath.get(p.path);
      if (!list) byPath.set(p.path, (list = []));
      list.push(p.at);
    }
    for (const list of byPath.values()) list.sort((a, b) => a - b);
    const outbox = await outboxTimes(stack, stories.map((s) => s.id));
    const signalled = await signalTimes(ctx.env.client, bound.bindingId, stories.map((s) => s.id));
    const latencies: number[] = [];
    const toResponse: number[] = [];
    const toRelayed: number[] = [];
    const relayedToPatch: number[] = [];
    let unmatched = 0;
    for (const e of edits) {
      if (e.error) continue;
      const story = stories[e.storyIndex]!;
      const patchAt = byPath.get(story.path)?.find((at) => at >= e.sentAt);
      if (patchAt === undefined) { unmatched++; continue; }
      latencies.push(patchAt - e.sentAt);
      toResponse.push(e.respondedAt - e.sentAt);
      const ev = outbox.get(story.id)?.get(e.version);
      const relayedAt = ev && signalled.get(ev.id);
      if (relayedAt !== undefined) {
        toRelayed.push(relayedAt - e.respondedAt);
        relayedToPatch.push(patchAt - relayedAt);
      }
    }
    rec.check('every edit reached the remote', unmatched === 0, `${unmatched} of ${edits.length} edits had no PATCH to their issue at or after them within 30 s`);
    const finals = [...lastEdit.entries()].filter(([i, e]) => !e.error && double.getIssue(repo, stories[i]!.number)?.title !== e.title);
    rec.check('every issue carries its story\'s last title', finals.length === 0, `${finals.length} of ${lastEdit.size} issues differ`);

    const sort = (xs: number[]) => [...xs].sort((a, b) => a - b);
    const l = sort(latencies);
    const stats = (xs: number[]) => {
      const s = sort(xs);
      return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, n: s.length };
    };
    rec.metric('latency p50', percentile(l, 50), 'ms', { op: '<=', value: 100 });
    rec.metric('latency p95', percentile(l, 95), 'ms');
    rec.metric('latency p99', percentile(l, 99), 'ms', { op: '<=', value: 500 });
    rec.metric('achieved edit rate', round1(edits.length / (sendMs / 1000)), 'edits/s');
    const response = stats(toResponse);
    const relay = stats(toRelayed);
    const push = stats(relayedToPatch);
    rec.breakdown('latencyMs', stats(latencies));
    rec.breakdown('sendToApiResponseMs', response);
    rec.breakdown('apiResponseToSignalMs', relay);
    rec.breakdown('signalToPatchMs', push);
    rec.breakdown('edits', { total: edits.length, rate, seconds, stories: n, sendMs, patchesLogged: [...byPath.values()].reduce((a, b) => a + b.length, 0) });
    rec.note(`${edits.length} edits at ${rate}/s over ${n} stories; stages p50/p99: API ${response.p50}/${response.p99} ms, `
      + `API response → signal recorded by Temporal ${relay.p50}/${relay.p99} ms, signal → PATCH logged ${push.p50}/${push.p99} ms (OUTBOX_POLL_MS 1000: LISTEN/NOTIFY is what is measured)`);
  },
};
