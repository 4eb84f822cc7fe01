import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError, invalid } from './errors';
import type { TokenRole } from '../db/tokens';
import { isUpload } from './limits';

/** What the auth middleware (auth.ts) tells every route about its caller. */
export interface AuthVariables {
  tokenId: string;
  tokenName: string;
  tokenRole: TokenRole;
  /** True when the request was authenticated by the console's session cookie rather than a bearer header. */
  viaSession: boolean;
}

/** A NUL byte, or half of a surrogate pair (JSON may carry "\ud800", which jsonb refuses). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);

/** The first path under `value` (object keys included) holding a string that `bad` is true of. */
function pathOf(value: unknown, bad: (text: string) => boolean, path: string[] = [], depth = 0): string[] | undefined {
  if (typeof value === 'string') return bad(value) ? path : undefined;
  if (!value || typeof value !== 'object' || depth > 64) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (bad(key)) return [...path, key];
    const found = pathOf(inner, bad, [...path, key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The first path under `value` (object keys included) holding text Postgres cannot store in text
 * or jsonb, so every validated input is checked here, before anything is written.
 */
export const nulPath = (value: unknown, path: string[] = []) => pathOf(value, unstorable, path);

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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
const REPLACEMENT = '\ufffd';

/**
 * Where invalid UTF-8 sits in a JSON body, as well as can be told: decoded leniently, each bad
 * sequence becomes U+FFFD, so when the body holds no U+FFFD of its own (encoded or escaped) the first
 * text holding one is the field at fault. Otherwise, or when the JSON does not parse, `body`.
 */
function invalidUtf8Field(bytes: Uint8Array): string {
  const text = lenientUtf8.decode(bytes);
  if (Buffer.from(bytes).includes(REPLACEMENT) || /\\u[fF]{3}[dD]/.test(text)) return 'body';
  try {
    return pathOf(JSON.parse(text), (t) => t.includes(REPLACEMENT))?.join('.') || 'body';
  } catch {
    return 'body';
  }
}

/**
 * A JSON body must be valid UTF-8: decoded with a fatal TextDecoder before any route parses it, an
 * invalid byte is a 400 naming the field (hono's own parser would turn it into U+FFFD and store that).
 * The bytes stay cached on the request (HonoRequest.arrayBuffer), so the route, or a webhook's
 * signature check, reads them again without touching the socket.
 */
export const strictUtf8Json: MiddlewareHandler = async (c, next) => {
  const media = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_MEDIA.test(media) || !c.req.raw.body || isUpload(c)) return next();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  try {
    strictUtf8.decode(bytes);
  } catch {
    const path = invalidUtf8Field(bytes);
    throw new ApiError(400, 'invalid_request', `Invalid UTF-8 in ${path}`, [{ path, message: 'not valid UTF-8' }]);
  }
  return next();
};

export const security = [{ bearerAuth: [] }];
