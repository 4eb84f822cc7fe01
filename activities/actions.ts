import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { isAuthError, isPermanentError, isRemoteError, PermanentError } from '../connectors/errors';
import { egressFor } from '../connectors/http/destination';
import { appendJobEntry, getJob, transitionJob, type JobStatus } from '../db/jobs';
import { connectionRow } from '../db/connections';
import { isDatabaseUnavailable, safeMessage, summarizeError } from '../lib/error-summary';
import { isUuid } from '../lib/uuid';
import { findAction } from '../plugins/registry';
import type { ActionContext } from '../plugins/types';
import type { ActivityDeps } from './deps';
import { connectRow } from './remote';
import { toFailure } from './failures';
import { Failure } from '../workflows/failures';
import { openHubView } from './hub-view';
import { withHeartbeat } from './heartbeat';

/** What the `runAction` workflow hands its activity. Params hold no secrets by contract; never log them. */
export interface ActionJobInput { jobId: string; plugin: string; action: string; params: Record<string, unknown> }
export interface ActionJobOutcome { status: JobStatus }

const MAX_ENTRY_MESSAGE = 2000;

/** One line, scrubbed and short: what a job's `error` and the workflow's failure say. */
export const oneLine = (message: string) => safeMessage((message.split('\n')[0] ?? '').trim() || 'failed');

/** The failure an action's error becomes: a PermanentError (or a refused credential) is not retried, the rest is. */
function actionFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (isPermanentError(err) || isAuthError(err)) {
    return ApplicationFailure.nonRetryable(oneLine(err.message), isAuthError(err) ? Failure.auth : Failure.permanent);
  }
  if (isRemoteError(err) || isDatabaseUnavailable(err)) return toFailure(err);
  return ApplicationFailure.create({ message: oneLine(summarizeError(err).message), type: 'ActionError', nonRetryable: false });
}

/** Cancelled by the workflow (a user's cancel), as opposed to the worker shutting down or a timeout. */
const cancelRequested = (context: Context) =>
  context.cancellationSignal.aborted && (context.cancellationSignal.reason as { message?: unknown } | undefined)?.message === 'CANCELLED';

/** A progress entry the job can store: a bug in the action (a progress of 7) fails it for good. */
function checkEntry(entry: Parameters<ActionContext['progress']>[0]) {
  if (typeof entry?.message !== 'string') throw new PermanentError('ctx.progress: message must be a string');
  if (entry.progress !== undefined && !(Number.isFinite(entry.progress) && entry.progress >= 0 && entry.progress <= 1)) {
    throw new PermanentError(`ctx.progress: progress must be a number from 0 to 1, got ${String(entry.progress)}`);
  }
  // Postgres text cannot hold a NUL; a long message is cut (the entry is a log line, not a payload).
  const message = entry.message.replaceAll('\u0000', '\ufffd');
  return { message: message.length > MAX_ENTRY_MESSAGE ? `${message.slice(0, MAX_ENTRY_MESSAGE)}…` : message, progress: entry.progress, data: entry.data };
}

export function createActionActivities(deps: ActivityDeps) {
  const egress = egressFor(deps.destinations);
  const { db } = deps;
  return {
    /**
     * Runs a plugin action for its job: claims the job (queued or a retried running one), re-checks
     * the params against the action this worker loaded, runs it with a context whose `progress()`
     * appends entries, and records success. Failures are thrown (retried per the workflow's preset);
     * the workflow records the final one. A cancellation is recorded here, where it is observed.
     */
    async runPluginAction(input: ActionJobInput): Promise<ActionJobOutcome> {
      const context = Context.current();
      const { jobId, plugin, action: name } = input;
      const claimed = await transitionJob(db, jobId, 'running');
      if (!claimed) {
        const job = await getJob(db, jobId);
        if (!job) throw ApplicationFailure.nonRetryable(`job ${jobId} not found`, Failure.notFound);
        // It ended before this attempt: cancelled while queued, or failed when its start was refused.
        return { status: job.status as JobStatus };
      }
      const attempt = context.info.attempt;
      if (attempt > 1) await appendJobEntry(db, jobId, { message: `retrying (attempt ${attempt})` });

      const action = findAction(plugin, name);
      if (!action) throw ApplicationFailure.nonRetryable(`plugin ${plugin} has no action ${name} on this worker (is it in TRACKBRIDGE_PLUGINS?)`, Failure.permanent);
      const parsed = action.params.safeParse(input.params);
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => i.path.map(String).join('.') || '(root)');
        throw ApplicationFailure.nonRetryable(`invalid params: ${[...new Set(fields)].join(', ')}`, Failure.permanent);
      }

      const logger = deps.logger.child({ jobId, plugin, action: name });
      const ctx: ActionContext = {
        jobId,
        logger,
        signal: context.cancellationSignal,
        egress,
        async connection(id) {
          // Not a uuid: no such connection (asked of Postgres, a malformed id would be a query error).
          if (!isUuid(id)) throw new PermanentError(`ctx.connection: no connection ${JSON.stringify(id)}`);
          const row = await connectionRow(db, id);
          if (!row) throw new PermanentError(`ctx.connection: no connection ${id}`);
          const { client } = connectRow(deps, row);
          return { id: row.id, connector: row.connector, client };
        },
        hub: (bindingId) => openHubView(db, bindingId),
        async progress(entry) {
          const checked = checkEntry(entry);
          context.heartbeat();
          await appendJobEntry(db, jobId, checked);
        },
      };
      let result: unknown;
      try {
        result = await withHeartbeat(() => action.run(ctx, parsed.data));
      } catch (err) {
        if (cancelRequested(context)) return cancelled(jobId);
        logger.warn({ err: summarizeError(err), attempt }, 'action failed');
        throw actionFailure(err);
      }
      // Cancelled while it finished: the user asked first, so the job says so and its result is dropped.
      if (cancelRequested(context)) return cancelled(jobId);
      // Aborted for another reason (the worker stopping, a timeout): the action may have returned early
      // on its signal, so its result is not a success; the attempt is retried.
      if (context.cancellationSignal.aborted) throw ApplicationFailure.retryable(`interrupted (${String((context.cancellationSignal.reason as Error | undefined)?.message)})`, 'Interrupted');
      await transitionJob(db, jobId, 'succeeded', { result: result ?? null });
      return { status: 'succeeded' };
    },

    /** Records how a job ended when its attempt could not (retries exhausted, a timeout, cancelled before it ran). */
    async finishJob(input: { jobId: string; status: 'failed' | 'cancelled'; error?: string }): Promise<void> {
      await transitionJob(db, input.jobId, input.status, input.status === 'failed' ? { error: oneLine(input.error ?? 'failed') } : {});
    },
  };

  async function cancelled(jobId: string): Promise<never> {
    await transitionJob(db, jobId, 'cancelled');
    throw new CancelledFailure('CANCELLED');
  }
}
