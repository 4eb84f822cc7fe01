import { pushSetup, sleep } from '../push';
import type { Scenario } from '../scenario';

const EDITS = 20;

/** P6: 20 edits to one story within one second; the push side should write it at most twice. */
export const p6: Scenario = {
  id: 'P6',
  title: 'Coalescing',
  async run(ctx, rec) {
    const { stack, double, repo, stories } = await pushSetup(ctx, 'p6', 1);
    const story = stories[0]!;
    await sleep(2000);
    const started = Date.now();
    for (let k = 1; k <= EDITS; k++) {
      const due = started + ((k - 1) * 1000) / EDITS;
      if (due > Date.now()) await sleep(due - Date.now());
      const view = await stack.call('PATCH', `/stories/${story.id}`, { version: story.version, title: `p6 burst edit ${k}` });
      story.version = view.version as number;
    }
    const burstMs = Date.now() - started;
    const finalTitle = `p6 burst edit ${EDITS}`;
    const deadline = Date.now() + 30_000;
    while (double.getIssue(repo, story.number)?.title !== finalTitle && Date.now() < deadline) await sleep(100);
    // Anything still coming (MAX_DELAY_MS is 2 s) would show within a few more seconds.
    await sleep(3000);
    const writes = double.requests({ method: 'PATCH', path: story.path }).filter((r) => r.at >= started);
    const title = double.getIssue(repo, story.number)?.title;
    rec.check('the issue carries the last edit\'s title', title === finalTitle, `title ${JSON.stringify(title)}`);
    rec.check(`the ${EDITS} edits took at most 1 s to send`, burstMs <= 1100, `${burstMs} ms`);
    rec.metric(`remote writes for ${EDITS} edits in 1 s`, writes.length, 'req', { op: '<=', value: 2 }, { op: '<=', value: 2 });
    rec.breakdown('writes', writes.map((w) => ({ msAfterFirstEdit: w.at - started, status: w.status })));
    rec.note(`${EDITS} edits sent over ${burstMs} ms; remote writes at ${writes.map((w) => `${w.at - started} ms (${w.status})`).join(', ')} after the first edit`);
  },
};
