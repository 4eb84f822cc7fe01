import { z } from '@hono/zod-openapi';
import { ServiceError } from '@temporalio/client';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, summarizeError } from '../lib/error-summary';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_request' }),
      message: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

/** An error the API maps to a 4xx with a stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly fields?: { path: string; message: string }[],
    /** Sent as Retry-After: the failure is temporary and the same request may succeed later. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);

export function zodFields(error: z.ZodError, prefix: string[] = []) {
  return error.issues.map((i) => ({ path: [...prefix, ...i.path.map(String)].join('.') || '(root)', message: i.message }));
}

export const invalid = (error: z.ZodError, prefix: string[] = []) => {
  const fields = zodFields(error, prefix);
  return new ApiError(400, 'invalid_request', `Invalid ${fields.map((f) => f.path).join(', ')}`, fields);
};

const httpExceptionCodes: Partial<Record<number, [string, string | undefined]>> = {
  400: ['invalid_request', 'body'],
  401: ['unauthorized', undefined],
  413: ['too_large', 'body'],
  415: ['unsupported_media_type', 'content-type'],
};

/** The single error handler: known errors become 4xx (or a 503 that says when to retry), the rest are logged and hidden behind a 500. */
export function errorHandler(logger: Logger) {
  return (thrown: Error, c: Context) => {
    const err = classifyError(thrown);
    if (err instanceof ApiError) {
      if (err !== thrown) logger.warn({ ...logFields(thrown), path: c.req.path, method: c.req.method, status: err.status }, err.message);
      if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds));
      return c.json({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } }, err.status);
    }
    if (err instanceof HTTPException) {
      // Raised by hono's validators before ours run: a malformed body (400) or the wrong media type (415).
      const [code, path] = httpExceptionCodes[err.status] ?? ['http_error', undefined];
      const fields = path ? { fields: [{ path, message: err.message }] } : {};
      return c.json({ error: { code, message: err.message, ...fields } }, err.status);
    }
    logger.error({ ...logFields(thrown), path: c.req.path, method: c.req.method }, 'unhandled API error');
    return c.json({ error: { code: 'internal', message: 'Internal error' } }, 500);
  };
}

/** Temporal failures nest their causes; the innermost message is the one a user needs. */
export function rootCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/** What a Postgres error carries that is safe to use: never its parameters or the row values of `detail`. */
interface PgError { code: string; constraint?: string; column?: string; table?: string; detail?: string }

const causes = (err: unknown): unknown[] => {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
};

/** The Postgres error under a driver or drizzle wrapper, if there is one. */
export function pgErrorOf(err: unknown): PgError | undefined {
  return causes(err).find((e): e is PgError => {
    const x = e as { code?: unknown; severity?: unknown };
    return typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && typeof x.severity === 'string';
  });
}

/** Unique constraints a request can collide with, and the field a user should change. */
const uniqueFields: Record<string, string> = {
  projects_key_unique: 'key',
  bindings_scope_uq: 'scope',
};

const camel = (column: string) => column.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
/** Column names from a detail like `Key (project_id, scope)=(…) already exists.` (the values are dropped). */
const detailColumns = (detail?: string) => /^Key \(([^)]*)\)=/.exec(detail ?? '')?.[1]?.split(',').map((c) => camel(c.trim().replace(/^"|"$/g, ''))) ?? [];
const fieldOf = (pg: PgError) => pg.column ? camel(pg.column) : detailColumns(pg.detail).join(', ') || '(unknown)';

/** SQLSTATE classes a request can provoke; anything else stays a 500. */
function fromPostgres(pg: PgError): ApiError | undefined {
  const field = fieldOf(pg);
  const at = (message: string) => [{ path: field, message }];
  switch (pg.code) {
    case '23505': {
      const path = uniqueFields[pg.constraint ?? ''] ?? field;
      return new ApiError(409, 'conflict', `${path} is already taken`, [{ path, message: 'already taken' }]);
    }
    case '23503': return new ApiError(409, 'conflict', `${field} refers to something that no longer exists`, at('no longer exists'));
    case '23502': return new ApiError(400, 'invalid_request', `Missing ${field}`, at('required'));
    case '23514': return new ApiError(400, 'invalid_request', `Invalid ${field}`, at('not allowed'));
    case '22P05': case '22021': return new ApiError(400, 'invalid_request', 'Text contains a character the database cannot store (a NUL byte?)', at('contains a NUL byte or invalid character'));
    case '22001': return new ApiError(400, 'invalid_request', `${field} is too long`, at('too long'));
    case '22003': return new ApiError(400, 'invalid_request', `${field} is out of range`, at('out of range'));
    case '22P02': case '22007': case '22008': return new ApiError(400, 'invalid_request', `Invalid ${field}`, at('invalid value'));
    case '40001': case '40P01': return new ApiError(409, 'conflict', 'A concurrent change got in the way; retry the request', undefined, 1);
  }
  return undefined;
}

/** gRPC codes of a Temporal call that did not reach (or was not answered by) the server in time. */
const TEMPORAL_DOWN = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */, 8 /* RESOURCE_EXHAUSTED */]);

/** True when a Temporal client call failed because the server is unreachable or too slow. */
export function isTemporalUnavailable(err: unknown): boolean {
  return causes(err).some((e) => e instanceof ServiceError && TEMPORAL_DOWN.has((e.cause as { code?: number } | undefined)?.code ?? -1));
}

export const temporalUnavailable = () => new ApiError(503, 'temporal_unavailable', 'The workflow service (Temporal) is unavailable; retry shortly', undefined, 10);

/** Known failures under any wrapper become ApiErrors (the one place that maps them); the rest pass through. */
export function classifyError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  // Connection loss, a restart, too many connections: the database will be back.
  if (isDatabaseUnavailable(err)) return new ApiError(503, 'database_unavailable', 'The database is unavailable; retry shortly', undefined, 5);
  const pg = pgErrorOf(err);
  if (pg) return fromPostgres(pg) ?? err;
  if (isTemporalUnavailable(err)) return temporalUnavailable();
  return err;
}

/** Log-safe fields: the error's summary (class, codes, a scrubbed message), never query parameters, row values or remote bodies. */
export function logFields(err: unknown): Record<string, unknown> {
  const constraint = pgErrorOf(err)?.constraint;
  return { err: summarizeError(err), ...(constraint ? { constraint } : {}) };
}
