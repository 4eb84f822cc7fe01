import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import { JOB_STATUSES, getJob, isTerminal, listJobEntries, listJobs, transitionJob, type Job, type JobEntry } from '../db/jobs';
import { actionWorkflowId } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, conflict, notFound } from './errors';
import { bounded } from './remote-calls';
import { newRouter, security } from './router';
import { IdParam, json } from './schemas';

const ENTRY_PAGE = 500;

const JobEntryView = z
  .object({
    id: z.number().int().openapi({ description: 'Increasing; pass the last one as `entriesAfter` to read on' }),
    at: z.string(),
    message: z.string(),
    progress: z.number().optional(),
    data: z.unknown().optional(),
  })
  .openapi('JobEntry');

const JobSummary = z.object({
  id: z.uuid(),
  plugin: z.string(),
  action: z.string(),
  status: z.enum(JOB_STATUSES),
  progress: z.number().nullable().openapi({ description: '0..1 as the action last reported it' }),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

const JobView = JobSummary.extend({
  entries: z.array(JobEntryView),
  moreEntries: z.boolean().openapi({ description: `True when more than ${ENTRY_PAGE} entries follow these` }),
  result: z.unknown().openapi({ description: "The action's return value once it succeeded, else null" }),
}).openapi('Job');

export type JobSummaryView = z.infer<typeof JobSummary>;
export type JobView = z.infer<typeof JobView>;

const summary = (job: Job) => ({
  id: job.id, plugin: job.plugin, action: job.action, status: job.status as (typeof JOB_STATUSES)[number], progress: job.progress, error: job.error,
  createdAt: job.createdAt.toISOString(), startedAt: job.startedAt?.toISOString() ?? null, finishedAt: job.finishedAt?.toISOString() ?? null,
});

function entryView(e: JobEntry) {
  const view: z.infer<typeof JobEntryView> = { id: e.id, at: e.at.toISOString(), message: e.message };
  if (e.progress !== null) view.progress = e.progress;
  if (e.data !== null) view.data = e.data;
  return view;
}

/** `GET /jobs` pages on (createdAt, id), newest first; the cursor is opaque to clients. */
const encodeCursor = (job: Job) => Buffer.from(`${job.createdAt.toISOString()}|${job.id}`).toString('base64url');
function decodeCursor(cursor: string) {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const parsed = z.object({ at: z.iso.datetime(), id: z.uuid() }).safeParse({ at, id });
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'Invalid cursor', [{ path: 'query.cursor', message: 'not a cursor from a previous page' }]);
  return { createdAt: new Date(parsed.data.at), id: parsed.data.id };
}

const ListQuery = z.object({
  plugin: z.string().min(1).max(214).optional(),
  status: z.enum(JOB_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional().openapi({ description: '`nextCursor` of the previous page' }),
});

const EntriesQuery = z.object({ entriesAfter: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() });

/** Jobs of plugin actions: their status, progress and entries, a list, and cancelling one. */
export function jobRoutes(deps: ApiDeps) {
  const load = async (id: string) => {
    const job = await getJob(deps.db, id);
    if (!job) throw notFound('job');
    return job;
  };

  return newRouter()
    .openapi(createRoute({
      method: 'get', path: '/', summary: 'Jobs, newest first, optionally of one plugin or status', security, request: { query: ListQuery },
      responses: { 200: json(z.object({ items: z.array(JobSummary), nextCursor: z.string().nullable() }), 'Jobs'), 400: json(ErrorBody, 'Invalid query') },
    }), async (c) => {
      const { plugin, status, limit, cursor } = c.req.valid('query');
      const rows = await listJobs(deps.db, { plugin, status, limit: limit + 1, cursor: cursor === undefined ? undefined : decodeCursor(cursor) });
      const page = rows.slice(0, limit);
      return c.json({ items: page.map(summary), nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!) : null }, 200);
    })
    .openapi(createRoute({
      method: 'get', path: '/{id}', summary: "A job's status, progress, entries (in order) and result", security, request: { params: IdParam, query: EntriesQuery },
      responses: { 200: json(JobView, 'Job'), 400: json(ErrorBody, 'Invalid id'), 404: json(ErrorBody, 'No such job') },
    }), async (c) => {
      const job = await load(c.req.valid('param').id);
      const { entriesAfter } = c.req.valid('query');
      const entries = await listJobEntries(deps.db, job.id, { ...(entriesAfter !== undefined ? { afterId: entriesAfter } : {}), limit: ENTRY_PAGE + 1 });
      const view: z.infer<typeof JobView> = {
        ...summary(job),
        entries: entries.slice(0, ENTRY_PAGE).map(entryView),
        moreEntries: entries.length > ENTRY_PAGE,
        result: job.result ?? null,
      };
      return c.json(view, 200);
    })
    .openapi(createRoute({
      method: 'post', path: '/{id}/cancel', summary: 'Cancel a queued or running job (the action sees its signal aborted)', security, request: { params: IdParam },
      responses: {
        202: json(JobSummary, 'Cancellation requested; the job says `cancelled` once the action stopped'), 400: json(ErrorBody, 'Invalid id'),
        404: json(ErrorBody, 'No such job'), 409: json(ErrorBody, 'The job has already ended'), 503: json(ErrorBody, 'Temporal is unavailable (see Retry-After)'),
      },
    }), async (c) => {
      const job = await load(c.req.valid('param').id);
      if (isTerminal(job.status)) throw conflict(`job ${job.id} has already ${job.status === 'cancelled' ? 'been cancelled' : job.status}`);
      try {
        await bounded(deps, () => deps.temporal.workflow.getHandle(actionWorkflowId(job.id)).cancel());
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      // A queued job has nothing running to observe the cancellation: it ends here (the workflow's own record is then a no-op).
      const after = job.status === 'queued' ? await transitionJob(deps.db, job.id, 'cancelled') : undefined;
      return c.json(summary(after ?? (await load(job.id))), 202);
    });
}
