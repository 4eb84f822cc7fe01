/**
 * Pulls on demand and waiting for quiet on the real stack: no unrelayed outbox event, no running pull,
 * no backlog, and every push workflow idle with every event of its story seen; then sync cycles.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../../db/client';
import { pushWorkflowId } from '../../../workflows/contract';
import { pullRunning as timerBusy } from '../../../temporal/schedules';
import type { Stack } from '../scenario';
import type { Remote, Side } from './remotes';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the quiet checks need to know of a schedule's world. */
export interface Bound {
  stack: Stack;
  projectId: string;
  bindings: Record<Side, string>;
  remotes: Record<Side, Remote>;
  /** When each binding's pull was last triggered (scheduled pull ids have one-second resolution). */
  lastPull: Record<Side, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pullRunning(w: Bound, side: Side): Promise<boolean> {
  return timerBusy(w.stack.client, w.bindings[side]);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * "Pull now" on one binding. With `wait`, the pull starts after everything before it (a fresh run,
 * not one queued earlier) and must complete without failures; its run is returned.
 */
export async function pull(w: Bound, side: Side, wait: boolean): Promise<Json | undefined> {
  const bindingId = w.bindings[side];
  for (;;) {
    // Two triggers within one second would share a workflow id and coalesce into one pull.
    const gap = w.lastPull[side] + 1100 - Date.now();
    if (gap > 0) await sleep(gap);
    if (wait) await until(`the running pull of ${side} to finish`, async () => !(await pullRunning(w, side)), 60_000);
    const started = await w.stack.post(`/bindings/${bindingId}/pull`);
    w.lastPull[side] = Date.now();
    if (!wait) return undefined;
    if (started.queued) continue;
    const run = await w.stack.waitRun(started.workflowId as string, 90_000);
    if (run.status !== 'completed' || run.result?.status !== 'completed' || run.counts?.failed) {
      throw new Error(`pull of ${side} did not complete cleanly: ${JSON.stringify(run)}`);
    }
    return run;
  }
}

/** A fingerprint of the quiet state, or undefined while anything is in flight. Throws on a dead push workflow. */
async function quietState(w: Bound): Promise<string | undefined> {
  const db = w.stack.database.db;
  const [outbox] = await queryRows<{ unrelayed: number; last: number }>(db, sql`
    select count(p.event_id)::int as unrelayed, coalesce(max(e.id), 0)::int as last
    from outbox_events e left join outbox_pending p on p.event_id = e.id where e.project_id = ${w.projectId}`);
  if (!outbox || outbox.unrelayed > 0) return undefined;
  for (const side of ['A', 'B'] as const) {
    if (await pullRunning(w, side)) return undefined;
    const backlog = await w.stack.get(`/bindings/${w.bindings[side]}/backlog`);
    if (backlog.backlogged || backlog.size > 0) return undefined;
  }
  // The newest event each push workflow must have seen: its story's, from anywhere but its own binding (E1).
  const expected = await queryRows<{ story: string; binding: string; last: number }>(db, sql`
    select e.story_id as story, b.id as binding, max(e.id)::int as last
    from outbox_events e join bindings b on b.project_id = e.project_id and b.id::text <> e.origin
    where e.project_id = ${w.projectId} group by e.story_id, b.id`);
  for (const { story, binding, last } of expected) {
    const handle = w.stack.client.workflow.getHandle(pushWorkflowId(binding, story));
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    if (description.status.name !== 'RUNNING') {
      throw new Error(`push workflow ${pushWorkflowId(binding, story)} is ${description.status.name}: its story's later events are never pushed`);
    }
    if (description.raw.pendingActivities?.length) return undefined;
    const status = await handle.query<{ pendingEventId: number | null; highestSeen: number }>('status');
    if (status.pendingEventId !== null || status.highestSeen < last) return undefined;
  }
  const [log] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from push_log p join bindings b on b.id = p.binding_id where b.project_id = ${w.projectId}`);
  return `${outbox.last}/${log?.n ?? 0}`;
}

/** Waits until the same quiet state is seen twice in a row (a push's follow-up can land between two looks). */
export async function settle(w: Bound, timeoutMs = 90_000): Promise<void> {
  let previous: string | undefined;
  await until('pushes to settle', async () => {
    const now = await quietState(w);
    const stable = now !== undefined && now === previous;
    previous = now;
    if (!stable) await sleep(150);
    return stable;
  }, timeoutMs);
}

/** What a sync cycle changed: hub changes (outbox events), remote writes, and the pulls' counts. */
export interface CycleResult { hubEvents: number; remoteWrites: Side[]; counts: Record<Side, Json> }

async function marks(w: Bound) {
  const [row] = await queryRows<{ last: number }>(w.stack.database.db, sql`select coalesce(max(id), 0)::int as last from outbox_events where project_id = ${w.projectId}`);
  return { last: row?.last ?? 0, A: await w.remotes.A.writeMark(), B: await w.remotes.B.writeMark() };
}

/** One sync cycle: pull both bindings, then let every push they cause finish. */
export async function cycle(w: Bound): Promise<CycleResult> {
  const before = await marks(w);
  await w.remotes.A.searchCaughtUp?.();
  const a = await pull(w, 'A', true);
  await w.remotes.B.searchCaughtUp?.();
  const b = await pull(w, 'B', true);
  await settle(w);
  const after = await marks(w);
  return {
    hubEvents: after.last - before.last,
    remoteWrites: (['A', 'B'] as const).filter((s) => before[s] !== after[s]),
    counts: { A: a?.counts ?? {}, B: b?.counts ?? {} },
  };
}

export const isQuiet = (c: CycleResult) => c.hubEvents === 0 && c.remoteWrites.length === 0 && !c.counts.A.created && !c.counts.A.updated && !c.counts.B.created && !c.counts.B.updated;
