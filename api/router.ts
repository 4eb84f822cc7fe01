import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError, invalid } from './errors';
import type { AuthVariables } from './auth';

/** A NUL byte, or half of a surrogate pair (JSON may carry "\ud800", which jsonb refuses). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/**
 * The first path under `value` (object keys included) holding text Postgres cannot store in text
 * or jsonb, so every validated input is checked here, before anything is written.
 */
export function nulPath(value: unknown, path: string[] = [], depth = 0): string[] | undefined {
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (!value || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (unstorable(key)) return [...path, key];
    const found = nulPath(inner, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A 400 naming the field whose text holds a NUL byte or a lone surrogate, if any does. */
export function rejectNul(value: unknown, prefix: string[] = []): void {
  const at = nulPath(value, prefix);
  if (!at) return;
  const path = at.join('.') || '(root)';
  throw new ApiError(400, 'invalid_request', `Invalid ${path}`, [{ path, message: 'contains a NUL byte (\\u0000) or half of a surrogate pair' }]);
}

/** A sub-app whose validation failures become 400s naming the field at fault. */
export function newRouter() {
  return new OpenAPIHono<{ Variables: AuthVariables }>({
    defaultHook: (result) => {
      const where = result.target === 'json' ? [] : [result.target];
      if (!result.success) throw invalid(result.error, where);
      rejectNul(result.data, where);
    },
  });
}

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;

/**
 * The JSON body of a route that validates it itself (its schema is documented, not zod): the same
 * answers as hono's validator gives every other route, 415 for another media type, 400 for bad JSON.
 */
export async function jsonBody(c: Context): Promise<unknown> {
  const media = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_MEDIA.test(media)) {
    throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json', [{ path: 'content-type', message: 'expected application/json' }]);
  }
  try {
    return await c.req.json();
  } catch {
    throw new ApiError(400, 'invalid_request', 'Malformed JSON in request body', [{ path: 'body', message: 'not valid JSON' }]);
  }
}

export const security = [{ bearerAuth: [] }];
