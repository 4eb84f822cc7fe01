import { createHash } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { rateLimiter } from 'hono-rate-limiter';
import { envSchema } from '../lib/config';
import { ApiError } from './errors';

/** The API's resource limits; each defaults to its configuration variable's default. */
export interface ApiLimits {
  /** API_BODY_LIMIT_BYTES: any request body but a file upload. */
  bodyBytes: number;
  /** UPLOAD_LIMIT_BYTES: a file upload, counted while it streams in. */
  uploadBytes: number;
  /** RATE_LIMIT_PER_MINUTE per token (or per client address without one); 0 = off. */
  ratePerMinute: number;
  /** API_REQUEST_TIMEOUT_MS: a handler still running after this answers 503. */
  requestTimeoutMs: number;
  /** TEMPORAL_CALL_TIMEOUT_MS: a Temporal call (start, signal, describe) still waiting after this answers 503. */
  temporalCallMs: number;
}

const defaultOf = <K extends keyof typeof envSchema.shape>(key: K) => envSchema.shape[key].parse(undefined) as number;

export function apiLimits(given: Partial<ApiLimits> = {}): ApiLimits {
  return {
    bodyBytes: given.bodyBytes ?? defaultOf('API_BODY_LIMIT_BYTES'),
    uploadBytes: given.uploadBytes ?? defaultOf('UPLOAD_LIMIT_BYTES'),
    ratePerMinute: given.ratePerMinute ?? defaultOf('RATE_LIMIT_PER_MINUTE'),
    requestTimeoutMs: given.requestTimeoutMs ?? defaultOf('API_REQUEST_TIMEOUT_MS'),
    temporalCallMs: given.temporalCallMs ?? defaultOf('TEMPORAL_CALL_TIMEOUT_MS'),
  };
}

/** The one route whose body is a file, not JSON. */
export const isUpload = (c: Context) => c.req.method === 'POST' && /^\/stories\/[^/]+\/attachments$/.test(c.req.path);

export const tooLarge = (bytes: number) =>
  new ApiError(413, 'too_large', `The request body is limited to ${bytes} bytes`, [{ path: 'body', message: `over ${bytes} bytes` }]);

/**
 * Refuses a body over API_BODY_LIMIT_BYTES before anything parses it: at once when Content-Length
 * says so, otherwise while it streams in (a chunked body is never buffered past the limit).
 * The upload route counts its own body against the upload limit (readUpload).
 */
export function bodyLimits(limits: ApiLimits): MiddlewareHandler {
  const json = bodyLimit({ maxSize: limits.bodyBytes, onError: () => { throw tooLarge(limits.bodyBytes); } });
  return (c, next) => (isUpload(c) ? next() : json(c, next));
}

/**
 * A file upload's bytes, counted while they stream in: past `limit` the stream is cancelled and a 413
 * thrown, so a chunked 300 MB body costs the API at most `limit` bytes of memory, never its size.
 */
export async function readUpload(c: Context, limit: number): Promise<Uint8Array> {
  if (Number(c.req.header('content-length') ?? 0) > limit) throw tooLarge(limit);
  const reader = c.req.raw.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** Who a request counts against: its bearer token (hashed, never kept in clear), else its client address. */
function rateKey(c: Context): string {
  const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (token) return `token:${createHash('sha256').update(token).digest('base64url')}`;
  try {
    return `addr:${getConnInfo(c).remote.address ?? 'unknown'}`;
  } catch {
    return 'addr:unknown'; // app.request() in tests has no socket
  }
}

/** Per-token request budget per minute, answering 429 with Retry-After once spent. */
export function rateLimit(limits: ApiLimits): MiddlewareHandler {
  if (limits.ratePerMinute <= 0) return (_c, next) => next();
  return rateLimiter({
    windowMs: 60_000,
    limit: limits.ratePerMinute,
    standardHeaders: 'draft-6',
    keyGenerator: rateKey,
    handler: () => {
      throw new ApiError(429, 'rate_limited', `Over ${limits.ratePerMinute} requests a minute; retry after the time in Retry-After`);
    },
  });
}

/** A handler still running after `ms` is answered 503 (the client may retry); its work is not awaited. */
export function requestTimeout(ms: number): MiddlewareHandler {
  return async (_c, next) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(503, 'timeout', `The request took longer than ${ms} ms`, undefined, 1)), ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
