import {
  allHandlersFinished, condition, continueAsNew, log, proxyLocalActivities, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { bindingSearchAttributes, pollerStateQuery, pauseSignal, pullNowUpdate, resumeSignal, type PollerState } from './contract';
import { pullBinding } from './pullBinding';

/**
 * A scheduled pull is one timer and one local activity: two billable actions when the remote has
 * nothing new (K1), where a Temporal Schedule starting a workflow of four activities cost about seven.
 * The local activity pulls the binding itself while the pull is small; a pull it cannot finish within
 * its budget goes on in a `pullBinding` child, from the checkpoint it reached.
 */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // A failed scheduled pull waits for the next interval (the remote may be down for hours); a few quick
  // retries cover a dead connection or a worker restart.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Pulls per run before continuing as new: about eight hours at the default five-minute interval. */
export const PULLS_PER_RUN = 100;
/**
 * The wait after a pull that found nothing webhooks had not brought already, while webhooks reach the
 * binding: they keep the hub current, and the scheduled pull stays the safety net, an hour apart.
 */
export const WEBHOOK_COVERED_WAIT_SECONDS = 3600;

export interface PollInput {
  bindingId: string;
  projectId: string;
  connector: string;
  intervalSeconds: number;
  paused: boolean;
  /** Carried across continue-as-new: a "pull now" that arrived while the last run closed. */
  requested?: boolean;
  covered?: boolean;
}

/**
 * The binding's pull timer (`poll/<binding>`), one per binding for its whole life. It sleeps for the
 * pull interval, then pulls: scheduled pulls in a local activity, a "pull now" (the `pullNow` update)
 * as a `pullBinding` child whose id the caller follows. Never two pulls at once: a request while one
 * runs is queued behind it, as a schedule's BUFFER_ONE did.
 */
export async function pollBinding(input: PollInput): Promise<void> {
  const { bindingId } = input;
  let paused = input.paused;
  let requested = input.requested ?? false;
  let busy = false;
  let child: string | null = null;
  /** Children started so far: a "pull now" waits for the next one, which is its own. */
  let started = 0;
  let nextAt: number | null = null;
  let pulls = 0;
  let first = input.requested === undefined && input.covered === undefined;
  /** The last scheduled pull found nothing webhooks had not brought: the next one waits longer. */
  let covered = input.covered ?? false;

  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(pollerStateQuery, (): PollerState => ({
    paused, busy, nextPullAt: paused || nextAt === null ? null : new Date(nextAt).toISOString(),
  }));
  setHandler(pullNowUpdate, async () => {
    const waiting = busy || requested;
    requested = true;
    const before = started;
    // Idle: the pull starts now. Busy: it starts after the running pull, which is often about to end
    // (a caller that just saw it complete); past a short wait, the caller is told it is queued.
    const began = waiting ? await condition(() => started > before, '3 seconds') : await condition(() => started > before).then(() => true);
    return began ? { workflowId: child, queued: false } : { workflowId: null, queued: true };
  });

  for (;;) {
    if (paused && !requested) {
      nextAt = null;
      await condition(() => !paused || requested);
      continue;
    }
    if (!requested) {
      const interval = covered ? Math.max(input.intervalSeconds, WEBHOOK_COVERED_WAIT_SECONDS) : input.intervalSeconds;
      // A new timer's first wait is half to one interval, at random (replayed alike: the workflow's random
      // is seeded), so bindings created together do not pull in the same second forever after.
      const wait = (first ? interval * (0.5 + Math.random() / 2) : interval) * 1000;
      first = false;
      nextAt = Date.now() + wait;
      // The one timer of a quiet pull; a pause, or a "pull now", ends the wait early.
      const due = !(await condition(() => requested || paused, wait));
      if (!due && !requested) continue;
    }
    nextAt = null;
    busy = true;
    const manual = requested;
    requested = false;
    try {
      await pull(manual);
    } catch (err) {
      // The next interval tries again; the run row and the binding's status tell what went wrong.
      log.warn('pull failed', { bindingId, error: (err as Error).message });
      covered = false;
    } finally {
      busy = false;
      child = null;
    }
    pulls++;
    if (pulls >= PULLS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof pollBinding>({ ...input, paused, requested, covered });
    }
  }

  async function pull(manual: boolean): Promise<void> {
    const pullId = `pull/${bindingId}-${new Date().toISOString()}`;
    let state;
    if (!manual) {
      const quick = await local.pullQuickly({ bindingId, workflowId: pullId, temporalRunId: workflowInfo().runId });
      covered = quick.done && quick.webhooksCover === true;
      if (quick.done) return;
      state = quick.state;
    }
    const handle = await startChild(pullBinding, {
      workflowId: pullId,
      args: [{ bindingId, ...(state ? { state } : {}) }],
      typedSearchAttributes: bindingSearchAttributes({ id: bindingId, projectId: input.projectId, connector: input.connector }),
    });
    // Started on the server: a caller of "pull now" may follow it from here.
    child = pullId;
    started++;
    await handle.result();
  }
}
