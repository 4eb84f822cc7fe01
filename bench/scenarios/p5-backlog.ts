import { startRecordingProxy } from '../recording-proxy';
import { pushSetup, round1, sleep, unrelayed } from '../push';
import type { Scenario } from '../scenario';

interface BacklogStatus { backlogged: boolean; size: number; oldestEventId: number | null; oldestAgeSeconds: number | null; drained: number; waiting: string | null; deadLetters: number }

const titleOf = (i: number, round: number) => `p5 story ${i} r${round}`;
const roundOf = (title: unknown) => (typeof title === 'string' ? Number(/ r(\d+)$/.exec(title)?.[1] ?? NaN) : NaN);

/**
 * P5: with the GitHub double answering 503 to every write of one repo, stories × rounds edits go
 * through the API and pile up in the binding's backlog; then the fault is lifted and the drain is
 * timed until the backlog is empty and every issue carries its story's last title. The connection
 * goes through a recording proxy so the body of every PATCH is seen (order check).
 */
export const p5: Scenario = {
  id: 'P5',
  title: 'Backlog drain',
  async run(ctx, rec) {
    const { backlogStories: n, backlogRounds: rounds } = ctx.size.push;
    const double = await ctx.github();
    const proxy = await startRecordingProxy(double.url);
    const undo = ctx.env.defer('P5 recording proxy', () => proxy.close());
    try {
      const { stack, repo, bound, stories } = await pushSetup(ctx, 'p5', n, proxy.url);
      const backlog = async () => (await stack.call('GET', `/bindings/${bound.bindingId}/backlog`)) as unknown as BacklogStatus;
      await sleep(1500);
      const fault = double.inject({ fault: { kind: 'status', status: 503 }, times: Infinity, method: 'PATCH', path: new RegExp(`^/repos/${repo}/issues/\\d+$`) });
      let faultActive = true;
      try {
        const editRound = async (round: number) => {
          for (let i = 0; i < stories.length; i += 10) {
            await Promise.all(stories.slice(i, i + 10).map(async (s, j) => {
              const view = await stack.call('PATCH', `/stories/${s.id}`, { version: s.version, title: titleOf(i + j, round) });
              s.version = view.version as number;
            }));
          }
        };
        ctx.log(`  outage: round 1 of ${rounds} over ${n} stories, waiting for the binding to be backlogged`);
        await editRound(1);
        const deadline = Date.now() + 60_000;
        let status = await backlog();
        while (!status.backlogged && Date.now() < deadline) {
          await sleep(250);
          status = await backlog();
        }
        rec.check('binding backlogged during the outage', status.backlogged, JSON.stringify(status));
        for (let r = 2; r <= rounds; r++) await editRound(r);
        // Everything relayed and the backlog holding every story before recovery.
        const settle = Date.now() + 60_000;
        for (;;) {
          status = await backlog();
          const left = await unrelayed(stack, stories.map((s) => s.id));
          if ((left === 0 && status.size >= n) || Date.now() > settle) break;
          await sleep(250);
        }
        rec.check('backlog holds every story before recovery', status.backlogged && status.size === n, JSON.stringify(status));
        rec.breakdown('backlogBeforeRecovery', status);
        const failedWrites = double.requests({ method: 'PATCH', status: 503 }).filter((r) => r.path.startsWith(`/repos/${repo}/`)).length;

        ctx.log(`  recovery: ${n * rounds} events queued (backlog size ${status.size}), lifting the fault`);
        proxy.reset();
        const recovered = Date.now();
        fault.cancel();
        faultActive = false;
        let firstOkAt: number | null = null;
        let empty: BacklogStatus | undefined;
        let doneAt = 0;
        const drainDeadline = Date.now() + 5 * 60_000;
        for (;;) {
          const now = Date.now();
          const ok = proxy.requests().filter((r) => r.method === 'PATCH' && r.status < 300);
          if (firstOkAt === null && ok.length) firstOkAt = Math.min(...ok.map((r) => r.at));
          const b = await backlog();
          const atFinal = stories.every((s, i) => double.getIssue(repo, s.number)?.title === titleOf(i, rounds));
          if (b.size === 0 && !b.backlogged && atFinal) {
            empty = b;
            doneAt = now;
            break;
          }
          if (now > drainDeadline) {
            empty = b;
            break;
          }
          await sleep(50);
        }
        const drainMs = doneAt ? doneAt - recovered : NaN;
        rec.check('backlog drained and every issue at its final title within 5 minutes', doneAt > 0, JSON.stringify(empty));
        rec.check('no dead letters', (empty?.deadLetters ?? 0) === 0, JSON.stringify(empty));

        // Order: per issue, the titles that reached the remote never go back a round.
        const patches = proxy.requests().filter((r) => r.method === 'PATCH' && r.status < 300 && r.path.startsWith(`/repos/${repo}/issues/`));
        const byPath = new Map<string, number[]>();
        for (const p of [...patches].sort((a, b) => a.at - b.at)) {
          let title: unknown;
          try {
            title = (JSON.parse(p.body ?? '{}') as { title?: unknown }).title;
          } catch {
            title = undefined;
          }
          if (title === undefined) continue;
          let list = byPath.get(p.path);
          if (!list) byPath.set(p.path, (list = []));
          list.push(roundOf(title));
        }
        const outOfOrder = [...byPath.entries()].filter(([, seq]) => seq.some((r, k) => Number.isNaN(r) || (k > 0 && r < seq[k - 1]!)));
        rec.check('per issue, the titles written never go back a round', outOfOrder.length === 0,
          outOfOrder.length ? `${outOfOrder.length} issues, e.g. ${outOfOrder[0]![0]}: ${outOfOrder[0]![1].join(',')}` : `${byPath.size} issues checked`);
        const lastIsFinal = stories.every((s) => byPath.get(s.path)?.at(-1) === rounds);
        rec.check('the last title written to each issue is the last round', lastIsFinal);

        const events = n * rounds;
        const perIssue = [...byPath.values()].map((s) => s.length);
        rec.metric('drain rate', Math.round(events / (drainMs / 1000)), 'events/s', { op: '>=', value: 100 });
        rec.metric('drain time', round1(drainMs / 1000), 's');
        rec.metric('recovery → first successful write', firstOkAt === null ? NaN : firstOkAt - recovered, 'ms');
        rec.metric('remote writes during the drain', patches.length, 'req');
        rec.breakdown('drain', {
          events, stories: n, rounds, drainMs, firstOkMs: firstOkAt === null ? null : firstOkAt - recovered,
          lastOkMs: patches.length ? Math.max(...patches.map((p) => p.at)) - recovered : null,
          writes: patches.length, maxWritesPerIssue: Math.max(0, ...perIssue), failedWritesDuringOutage: failedWrites, backlogAfter: empty,
        });
        rec.note(`${events} events (${n} stories × ${rounds} edits) queued while the double answered 503 to every PATCH of the repo `
          + `(${failedWrites} failed writes); after recovery the first write succeeded after ${firstOkAt === null ? '?' : firstOkAt - recovered} ms, `
          + `${patches.length} writes in all (the backlog coalesces a story's events), drained in ${round1(drainMs / 1000)} s (backlog polled every 50 ms)`);
      } finally {
        if (faultActive) fault.cancel();
      }
    } finally {
      undo();
      await proxy.close();
    }
  },
};
