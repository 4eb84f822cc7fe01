import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { sinkDeliveryOptions } from './activity-options';
import { wakeSignal } from './contract';

const { deliverToSink } = proxyActivities<Activities>(sinkDeliveryOptions);

/** Batches before the history is handed to a new run. */
const BATCHES_PER_RUN = 200;

/**
 * A sink's delivery loop, `sink/<sinkId>`: publishes its queue oldest first, batch after batch, then
 * sleeps until the outbox relay (or the API: resume, replay, retry) wakes it, or a minute passes.
 * A failing queue head is retried by the activity's policy; nothing behind it overtakes it.
 */
export async function sinkDelivery(input: { sinkId: string }): Promise<void> {
  let woken = false;
  setHandler(wakeSignal, () => { woken = true; });
  for (let i = 0; i < BATCHES_PER_RUN; i++) {
    woken = false;
    const outcome = await deliverToSink(input);
    if (outcome.state === 'gone') return;
    if (outcome.more) continue;
    await condition(() => woken, outcome.state === 'paused' ? '10 minutes' : '1 minute');
  }
  await continueAsNew<typeof sinkDelivery>(input);
}
