import type { z } from 'zod';
import { AuthError, ConflictError, PermanentError, RateLimitedError, TransientError, type RemoteError } from '../errors';
import { classifyNetworkError, classifyResponse, isRateLimited, parseRetryAfter, redact } from './classify';
import { rateLimitWaitSeconds, rateLimitWaits, remoteRequests } from '../../lib/metrics';
import { budgetExhausted, defaultPacing, type PacingPolicy, pacerFor } from './pacer';
import { type DestinationPolicy, guardedFetch } from './destination';
import { readShape } from './shape';
import type { Logger } from '../logger';

export interface RetryPolicy {
  /** Rate-limit waits up to this long are slept in-process; longer ones go back to Temporal. */
  maxInlineWaitMs: number;
  maxRateLimitRetries: number;
  /** In-process retries of 500/502/503/504 and network errors, for idempotent requests only. */
  maxServerRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Wait assumed when a rate-limited answer does not say how long (GitHub: "at least a minute"). */
  defaultRateLimitWaitMs: number;
  /**
   * When set, a rate-limited answer that does not say how long is retried after an exponential backoff
   * with full jitter (a random wait up to base·2^n, at most max) instead of `defaultRateLimitWaitMs`,
   * as Jira documents for its 429s without Retry-After.
   */
  rateLimitBackoff?: { baseMs: number; maxMs: number };
}

export const defaultRetry: RetryPolicy = {
  maxInlineWaitMs: 30_000,
  maxRateLimitRetries: 3,
  maxServerRetries: 3,
  backoffBaseMs: 500,
  backoffMaxMs: 8_000,
  defaultRateLimitWaitMs: 60_000,
};

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | null | undefined;

export interface HttpRequest {
  method?: HttpMethod;
  /** Relative to baseUrl, or an absolute URL on baseUrl's origin (e.g. from a Link header). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** A binary body sent as is (an upload), instead of `body` as JSON. */
  raw?: { data: Uint8Array; contentType: string };
  /** `bytes`: the answer is a file, not JSON (a download). */
  responseType?: 'json' | 'bytes';
  headers?: Record<string, string>;
  /** Sends If-None-Match; a 304 then resolves to `{ notModified: true }`. */
  ifNoneMatch?: string | null;
  timeoutMs?: number;
  /** Which remote budget this request spends (GitHub: "core", "search"). */
  budget?: string;
  /** Whether repeating the request is harmless; by default every method but POST. */
  idempotent?: boolean;
}

interface ResponseMeta {
  status: number;
  headers: Headers;
  url: string;
  etag: string | null;
}

export type HttpResponse<T> =
  | (ResponseMeta & { notModified: false; data: T })
  | (ResponseMeta & { notModified: true; data: null });

export interface HttpHooks {
  /** May add or change headers. */
  onRequest?(req: { method: HttpMethod; url: string; headers: Headers }): void;
  onResponse?(res: { method: HttpMethod; url: string; status: number; durationMs: number; attempt: number }): void;
}

export interface HttpClientOptions {
  /** Prefix of error messages: "GitHub", "Redmine". */
  service: string;
  baseUrl: string;
  headers?: Record<string, string>;
  /** Values scrubbed from every error message and log line. */
  secrets?: string[];
  fetch?: typeof fetch;
  /** Where requests may go (see destination.ts); link-local and metadata addresses are refused even without one. */
  destinations?: DestinationPolicy;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  pacing?: Partial<PacingPolicy>;
  /** Clients with the same key share one pacer (use a hash of the connection, never a raw secret). */
  pacingKey?: string;
  hooks?: HttpHooks;
  /** Pulls the remote's error text out of an error body, for messages. */
  describeError?(body: unknown): string | undefined;
  /** What a failed answer means when its status does not say (see HttpDeclaration.classifyError). */
  classifyError?: ErrorClassifier;
  logger?: Pick<Logger, 'debug' | 'warn'>;
  sleep?(ms: number): Promise<void>;
  now?(): number;
  random?(): number;
}

/**
 * Reads what a failed answer means where its status does not say it: a GraphQL API answers its rate
 * limit and a bad key with 400 and a code in the body (Linear: `RATELIMITED`, `AUTHENTICATION_ERROR`).
 * Undefined leaves the status to decide.
 */
export type ErrorClassifier = (failure: { status: number; headers: Headers; body: unknown }) =>
  | { kind: 'rate-limited'; retryAfterMs?: number | undefined }
  | { kind: 'auth' | 'transient' | 'permanent' | 'conflict' }
  | undefined;

export interface HttpClient {
  readonly baseUrl: string;
  /** With `shape`, a 2xx JSON answer is checked against it (see readShape) and comes back as its output. */
  send<T>(req: HttpRequest, shape?: z.ZodType<T>): Promise<HttpResponse<T>>;
  /** send() for requests that cannot be answered 304. */
  json<T>(req: HttpRequest, shape?: z.ZodType<T>): Promise<T>;
  /** A download: the body as bytes. */
  bytes(req: HttpRequest): Promise<Uint8Array>;
}

const IDEMPOTENT = new Set<HttpMethod>(['GET', 'PUT', 'PATCH', 'DELETE']);
const RETRIED_STATUSES = new Set([500, 502, 503, 504]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A body as JSON when it is JSON, else its text. */
const parseJsonOr = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** A failed answer as the connector's classifier read it (HttpDeclaration.classifyError). */
function declaredFailure(
  declared: NonNullable<ReturnType<ErrorClassifier>>, res: { status: number; headers: Headers; message: string }, service: string, now: number, defaultWaitMs: number,
): { failure: RemoteError; rateLimited: boolean; retryable: boolean; announced?: boolean } {
  const { status, headers, message } = res;
  if (declared.kind === 'rate-limited') {
    const retryAfterMs = declared.retryAfterMs ?? parseRetryAfter(headers, now) ?? defaultWaitMs;
    const failure = new RateLimitedError(service, `${message} (rate limited, retry in ${Math.ceil(retryAfterMs / 1000)} s)`, status, retryAfterMs);
    return { failure, rateLimited: true, retryable: false, announced: declared.retryAfterMs !== undefined };
  }
  const failure = declared.kind === 'auth' ? new AuthError(message, status)
    : declared.kind === 'conflict' ? new ConflictError(message, status)
      : declared.kind === 'transient' ? new TransientError(message, status, parseRetryAfter(headers, now))
        : new PermanentError(message, status);
  return { failure, rateLimited: false, retryable: declared.kind === 'transient' };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An HTTP client for one connection: JSON in and out, classified errors, rate limits and pacing handled. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const retry = { ...defaultRetry, ...options.retry };
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const doFetch = guardedFetch(options.destinations, options.fetch);
  const secrets = options.secrets ?? [];
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pacer = pacerFor(options.pacingKey, { ...defaultPacing, ...options.pacing }, now);

  const resolveUrl = (req: HttpRequest): URL => {
    const url = /^https?:\/\//i.test(req.path) ? new URL(req.path) : new URL(baseUrl + req.path);
    // Links come from the remote and cursors from storage: never send credentials elsewhere.
    if (url.origin !== origin) throw new PermanentError(`${options.service}: refusing to follow a URL outside ${origin}`);
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    return url;
  };

  /**
   * fetch, following redirects only within baseUrl's origin (GitHub answers 301/307 for renamed
   * repositories): a credential header such as X-Redmine-API-Key would otherwise go along to any host.
   */
  async function fetchSameOrigin(url: URL, init: RequestInit & { method: HttpMethod }): Promise<Response> {
    let target = url;
    let current = init;
    for (let hop = 0; ; hop++) {
      const res = await doFetch(target, { ...current, redirect: 'manual' });
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      await res.body?.cancel();
      target = new URL(location, target);
      if (target.origin !== origin) throw new PermanentError(`${options.service}: refusing a redirect to ${target.origin}`, res.status);
      if (hop >= 5) throw new PermanentError(`${options.service}: too many redirects`, res.status);
      // As browsers do: 303, and 301/302 after a non-GET, continue as a GET without a body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && current.method !== 'GET')) {
        current = { ...current, method: 'GET', body: null };
      }
    }
  }

  const backoff = (attempt: number) => random() * Math.min(retry.backoffMaxMs, retry.backoffBaseMs * 2 ** attempt);

  type Outcome<T> =
    | { response: HttpResponse<T> }
    /** `retryable`: worth an in-process retry for an idempotent method (not a timeout: it already cost a full timeout). */
    | { failure: RemoteError; rateLimited: boolean; retryable: boolean; announced?: boolean };

  /** One request on the wire, its answer parsed or classified. */
  async function attemptOnce<T>(req: HttpRequest, url: URL, label: string, attempt: number, shape: z.ZodType<T> | undefined): Promise<Outcome<T>> {
    const method = req.method ?? 'GET';
    const headers = new Headers({ accept: 'application/json', ...options.headers, ...req.headers });
    if (req.body !== undefined) headers.set('content-type', 'application/json');
    if (req.raw) headers.set('content-type', req.raw.contentType);
    if (req.ifNoneMatch) headers.set('if-none-match', req.ifNoneMatch);
    options.hooks?.onRequest?.({ method, url: url.toString(), headers });

    const startedAt = now();
    const timeout = req.timeoutMs ?? timeoutMs;
    let res: Response;
    try {
      const body = req.raw ? req.raw.data : req.body === undefined ? null : JSON.stringify(req.body);
      res = await fetchSameOrigin(url, { method, headers, body, signal: AbortSignal.timeout(timeout) });
    } catch (error) {
      if (error instanceof PermanentError) throw error;
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      remoteRequests.inc({ service: options.service, status: 'error' });
      return { failure: classifyNetworkError(error, label, timeout), rateLimited: false, retryable: !timedOut };
    }
    remoteRequests.inc({ service: options.service, status: String(res.status) });
    options.hooks?.onResponse?.({ method, url: url.toString(), status: res.status, durationMs: now() - startedAt, attempt });
    pacer.observe(req.budget ?? 'core', res.headers);
    const meta = { status: res.status, headers: res.headers, url: url.toString(), etag: res.headers.get('etag') };
    if (res.status === 304 && req.ifNoneMatch) {
      await res.body?.cancel();
      return { response: { ...meta, notModified: true, data: null } };
    }
    if (res.ok && req.responseType === 'bytes') {
      try {
        return { response: { ...meta, notModified: false, data: new Uint8Array(await res.arrayBuffer()) as T } };
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        return { failure: classifyNetworkError(error, label, timeout), rateLimited: false, retryable: !timedOut };
      }
    }
    let bodyText: string;
    try {
      bodyText = await res.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return { failure: classifyNetworkError(error, label, timeout), rateLimited: false, retryable: !timedOut };
    }
    if (res.ok) {
      const data = parseBody<T>(bodyText, label);
      return { response: { ...meta, notModified: false, data: shape ? readShape(shape, data, label, res.status) : data } };
    }
    const declared = options.classifyError?.({ status: res.status, headers: res.headers, body: parseJsonOr(bodyText) });
    if (declared) {
      const remote = describe(bodyText);
      return declaredFailure(declared, { status: res.status, headers: res.headers, message: `${label} → ${res.status}${remote ? `: ${remote}` : ''}` }, options.service, now(), retry.defaultRateLimitWaitMs);
    }
    const failure = classifyResponse(
      { status: res.status, headers: res.headers, bodyText, label, remoteMessage: describe(bodyText), service: options.service },
      now(),
      retry.defaultRateLimitWaitMs,
    );
    const rateLimited = isRateLimited(res.status, res.headers, bodyText);
    return { failure, rateLimited, retryable: !rateLimited && RETRIED_STATUSES.has(res.status), announced: parseRetryAfter(res.headers, now()) !== undefined };
  }

  async function send<T>(req: HttpRequest, shape?: z.ZodType<T>): Promise<HttpResponse<T>> {
    const method = req.method ?? 'GET';
    const url = resolveUrl(req);
    const label = redact(`${options.service} ${method} ${url.pathname}${url.search}`, secrets);
    let rateLimitRetries = 0;
    let serverRetries = 0;

    for (let attempt = 1; ; attempt++) {
      const wait = pacer.reserve(req.budget ?? 'core');
      if (wait > retry.maxInlineWaitMs) {
        pacer.release();
        rateLimitWaits.inc({ service: options.service });
        throw budgetExhausted(options.service, label, wait);
      }
      if (wait > 0) await sleep(wait);

      const outcome = await attemptOnce<T>(req, url, label, attempt, shape);
      if ('response' in outcome) return outcome.response;
      const { failure, rateLimited, retryable, announced } = outcome;

      if (rateLimited) {
        const backoffMs = !announced && retry.rateLimitBackoff
          ? random() * Math.min(retry.rateLimitBackoff.maxMs, retry.rateLimitBackoff.baseMs * 2 ** rateLimitRetries)
          : undefined;
        const retryAfterMs = backoffMs ?? failure.retryAfterMs ?? retry.defaultRateLimitWaitMs;
        if (retryAfterMs > retry.maxInlineWaitMs || rateLimitRetries >= retry.maxRateLimitRetries) throw failure;
        rateLimitRetries++;
        rateLimitWaits.inc({ service: options.service });
        rateLimitWaitSeconds.inc({ service: options.service }, retryAfterMs / 1000);
        options.logger?.warn({ status: failure.status, retryAfterMs, attempt }, `${label}: rate limited, waiting`);
        // A little jitter so that parallel workers do not come back in the same instant (a backoff is jittered already).
        await sleep(backoffMs ?? retryAfterMs + random() * 250);
        continue;
      }
      // Only bursts of 5xx and network errors are retried here, and never a POST (or a request
      // marked non-idempotent): the remote may have acted on it before failing.
      const idempotent = req.idempotent ?? IDEMPOTENT.has(method);
      const inlineWait = failure.retryAfterMs ?? backoff(serverRetries);
      if (!retryable || !idempotent || serverRetries >= retry.maxServerRetries || inlineWait > retry.maxInlineWaitMs) {
        throw failure;
      }
      serverRetries++;
      options.logger?.debug({ status: failure.status, attempt }, `${label}: retrying in ${Math.round(inlineWait)} ms`);
      await sleep(inlineWait);
    }
  }

  function describe(bodyText: string): string | undefined {
    let body: unknown = bodyText;
    try {
      body = JSON.parse(bodyText);
    } catch {
      // Not JSON: fall back to the start of the text below.
    }
    const text = (options.describeError ?? defaultDescribe)(body);
    return text ? redact(text, secrets) : undefined;
  }

  return {
    baseUrl,
    send,
    async json<T>(req: HttpRequest, shape?: z.ZodType<T>): Promise<T> {
      const res = await send<T>({ ...req, ifNoneMatch: null }, shape);
      if (res.notModified) throw new PermanentError(`${options.service}: unexpected 304`);
      return res.data;
    },
    /** A file, as bytes. */
    async bytes(req: HttpRequest): Promise<Uint8Array> {
      const res = await send<Uint8Array>({ ...req, ifNoneMatch: null, responseType: 'bytes' });
      if (res.notModified) throw new PermanentError(`${options.service}: unexpected 304`);
      return res.data;
    },
  };
}

function parseBody<T>(bodyText: string, label: string): T {
  if (bodyText.trim() === '') return null as T;
  try {
    return JSON.parse(bodyText) as T;
  } catch {
    throw new PermanentError(`${label}: the answer is not JSON (is the base URL right?)`);
  }
}

/** `{ message }` or the start of a text body; connectors pass their own for richer error shapes. */
function defaultDescribe(body: unknown): string | undefined {
  if (typeof body === 'string') return body.trim().slice(0, 200) || undefined;
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : undefined;
}
