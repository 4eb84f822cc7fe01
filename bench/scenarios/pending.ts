import type { Scenario } from '../scenario';

const waitingOn = 'push side (hub write API POST /projects/:id/stories and PATCH /stories/:id with version, outbox relay, pushStory and backlog workflows): not benchmarked yet';

/**
 * Push-side scenarios, registered so they show in the table and in results.json. To implement one,
 * replace `pending` with a `run(ctx, rec)`: `ctx.mainStack()` gives a database, a worker process and
 * the API (`stack.call('POST', '/projects/…/stories', body)`), `ctx.github()` the double whose
 * `requests()` log shows what reached the remote, and `rec` records metrics, checks and notes.
 */
const pending = (id: string, title: string, plan: string): Scenario => ({
  id,
  title,
  pending: `${waitingOn}. Plan: ${plan}`,
  run: async () => {
    throw new Error(`${id} is not implemented yet`);
  },
});

export const p2 = pending('P2', 'Push latency',
  'PATCH a story through the API N times at a steady rate; latency = time until the double logs the matching PATCH; report p50/p95.');
export const p5 = pending('P5', 'Backlog drain',
  'with the remote failing (double.failNext), queue N story edits, heal it, time until the outbox is relayed and every edit reached the double.');
export const p6 = pending('P6', 'Coalescing',
  'edit one story K times in a burst; count the remote writes the push side makes for it (ideal: 1, at most a few).');
