import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';

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

/** The single error handler: known errors become 4xx, the rest are logged and hidden behind a 500. */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      return c.json({ error: { code: err.code, message: err.message, ...(err.fields ? { fields: err.fields } : {}) } }, err.status);
    }
    if (err instanceof HTTPException) {
      return c.json({ error: { code: err.status === 401 ? 'unauthorized' : 'http_error', message: err.message } }, err.status);
    }
    logger.error({ err, path: c.req.path, method: c.req.method }, 'unhandled API error');
    return c.json({ error: { code: 'internal', message: 'Internal error' } }, 500);
  };
}

/** Temporal failures nest their causes; the innermost message is the one a user needs. */
export function rootCause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
