import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { rateLimiter } from 'hono-rate-limiter';
import { envSchema } from '../lib/config';
import type { ClientAddressOf } from './client-address';
import { ApiError } from './errors';

/** The API's resource limits; each defaults to its configuration variable's default. */
export interface ApiLimits {
  /** API_BODY_LIMIT_BYTES: any request body but a file upload. */
  bodyBytes: number;
  /** UPLOAD_LIMIT_BYTES: a file upload, counted while it streams in. */
  uploadBytes: number;
  /** RATE_LIMIT_PER_MINUTE per token (or per client address without one); 0 = off. */
  ratePerMinute: number;
  /** AUTH_FAILURES_PER_MINUTE per client address, past which its bearer tokens answer 429 unchecked; 0 = off. */
  authFailuresPerMinute: number;
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
    authFailuresPerMinute: given.authFailuresPerMinute ?? defaultOf('AUTH_FAILURES_PER_MINUTE'),
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

/** How long a socket closed under a request body still reads (and drops) that body, so the client reads our answer. */
const LINGER_MS = 2_000;

/**
 * An answer sent before its request's body was read through (a 413, a 401 or 429 ahead of any
 * handler, a timeout) says `Connection: close`. @hono/node-server drains such a body for at most
 * 500 ms, then destroys the socket: a client told `keep-alive` would send its next request on a
 * socket about to die and lose it, while one told `close` opens a new connection.
 */
export const closeUnreadBodies: MiddlewareHandler = async (c, next) => {
  await next();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || incoming.readableEnded) return;
  const { 'content-length': length, 'transfer-encoding': chunked } = incoming.headers;
  if (!chunked && !(Number(length ?? 0) > 0)) return;
  c.header('Connection', 'close');
  lingerOnClose(incoming.socket);
};

/**
 * Node ends a `Connection: close` answer with socket.destroySoon(), which destroys the socket once the
 * answer is written. The body still arriving then meets a closed socket, the kernel answers it with a
 * reset, and the client can lose the answer it had not read yet (EPIPE: the lingering close of RFC 9112
 * §9.6). This socket closes its sending side only, reads and drops what still comes for LINGER_MS at
 * most (or until the client closes), then goes.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    this.end();
    this.resume();
    setTimeout(() => this.destroy(), LINGER_MS).unref();
  };
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
const rateKey = (addressOf: ClientAddressOf) => (c: Context): string => {
  const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  return token ? `token:${createHash('sha256').update(token).digest('base64url')}` : `addr:${addressOf(c)}`;
};

/**
 * Per-token request budget per minute, answering 429 with Retry-After once spent. A wrong token gets
 * a budget of its own here too; what limits guessing is the count of failures per address (auth-failures.ts).
 */
export function rateLimit(limits: ApiLimits, addressOf: ClientAddressOf): MiddlewareHandler {
  if (limits.ratePerMinute <= 0) return (_c, next) => next();
  return rateLimiter({
    windowMs: 60_000,
    limit: limits.ratePerMinute,
    standardHeaders: 'draft-6',
    keyGenerator: rateKey(addressOf),
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
