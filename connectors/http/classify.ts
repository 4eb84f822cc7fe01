import {
  AuthError,
  ConflictError,
  PermanentError,
  RateLimitedError,
  type RemoteError,
  TransientError,
} from '../errors';

/** What classification needs to know about a failed response; the body is already read. */
export interface FailedResponse {
  status: number;
  headers: Headers;
  bodyText: string;
  /** Prefix for the message, e.g. "GitHub GET /repos/o/r/issues". Never carries credentials. */
  label: string;
  /** Remote's own explanation, extracted by the connector from the body. */
  remoteMessage?: string | undefined;
  /** Whose answer it is ("GitHub"), for the binding status of a rate limit. */
  service?: string | undefined;
}

/**
 * The longest wait a remote may ask for. Reset headers come from remotes (and proxies) that get them
 * wrong: a reset in milliseconds read as seconds became a wait of thousands of years. Anything longer
 * is clamped: a retry after an hour costs one request, a binding stuck for ever costs the user.
 */
export const MAX_REMOTE_WAIT_MS = 3_600_000;

/** Epoch values above this are milliseconds: as seconds they would lie past the year 5000. */
const EPOCH_MS_THRESHOLD = 100_000_000_000;

const clampWait = (ms: number): number => Math.min(MAX_REMOTE_WAIT_MS, Math.max(0, ms));

const RATE_LIMIT_TEXT = /rate.?limit/i;

/** Milliseconds the remote asked us to wait, from retry-after or x-ratelimit-reset; undefined when it did not say. */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const remoteNow = remoteClock(headers, now);
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return clampWait(Math.round(Number(retryAfter) * 1000));
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return clampWait(at - remoteNow);
  }
  if (headers.get('x-ratelimit-remaining')?.trim() === '0') {
    const resetAt = parseResetEpoch(headers);
    if (resetAt !== undefined) return clampWait(resetAt - remoteNow);
  }
  return undefined;
}

/**
 * x-ratelimit-reset (or the reset header a connector names) as epoch milliseconds on the remote's
 * clock. GitHub sends epoch seconds; a value too large for seconds was sent in milliseconds (some
 * proxies and GitHub-compatible servers do); Jira Cloud sends an ISO 8601 instant.
 */
export function parseResetEpoch(headers: Headers, header = 'x-ratelimit-reset'): number | undefined {
  const reset = headers.get(header)?.trim();
  if (!reset) return undefined;
  if (!/^\d+$/.test(reset)) {
    const at = /^\d{4}-\d\d-\d\dT/.test(reset) ? Date.parse(reset) : Number.NaN;
    return Number.isNaN(at) ? undefined : at;
  }
  const value = Number(reset);
  return value > EPOCH_MS_THRESHOLD ? value : value * 1000;
}

/**
 * The remote's "now", from its Date header, so that reset epochs and HTTP dates are compared
 * on one clock; falls back to ours. Date has one-second resolution, which is fine for waits.
 */
export function remoteClock(headers: Headers, now: number): number {
  const date = headers.get('date');
  const parsed = date ? Date.parse(date) : Number.NaN;
  return Number.isNaN(parsed) ? now : parsed;
}

/** 429 always; 403 only when the remote says it is about rate limits (GitHub's primary and secondary limits). */
export function isRateLimited(status: number, headers: Headers, bodyText: string): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  return headers.get('x-ratelimit-remaining')?.trim() === '0'
    || headers.has('retry-after')
    || RATE_LIMIT_TEXT.test(bodyText);
}

/** The one place where an HTTP failure becomes a RemoteError. */
export function classifyResponse(res: FailedResponse, now: number, defaultRateLimitWaitMs: number): RemoteError {
  const { status, headers, bodyText } = res;
  const message = `${res.label} → ${status}${res.remoteMessage ? `: ${res.remoteMessage}` : ''}`;
  if (isRateLimited(status, headers, bodyText)) {
    const retryAfterMs = parseRetryAfter(headers, now) ?? defaultRateLimitWaitMs;
    return new RateLimitedError(res.service ?? res.label.split(' ')[0] ?? 'the remote', `${message} (rate limited, retry in ${Math.ceil(retryAfterMs / 1000)} s)`, status, retryAfterMs);
  }
  if (status === 401 || status === 403) return new AuthError(message, status);
  if (status === 409 || status === 412) return new ConflictError(message, status);
  if (status === 408 || status >= 500) return new TransientError(message, status, parseRetryAfter(headers, now));
  return new PermanentError(message, status);
}

/** fetch rejected: DNS, refused connection, reset, or our own timeout. All worth retrying later. */
export function classifyNetworkError(error: unknown, label: string, timeoutMs: number): TransientError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError') return new TransientError(`${label} timed out after ${timeoutMs} ms`);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? ` (${cause.code})` : '';
  return new TransientError(`${label} failed: network error${code}`);
}

/** Replaces every secret value, and any credential-looking query parameter, in a text meant for logs or errors. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([?&](?:key|api_key|access_token|token|password)=)[^&\s#]*/gi, '$1***');
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
