import {
  AuthError,
  ConflictError,
  PermanentError,
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
}

const RATE_LIMIT_TEXT = /rate.?limit/i;

/** Milliseconds the remote asked us to wait, from retry-after or x-ratelimit-reset; undefined when it did not say. */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const remoteNow = remoteClock(headers, now);
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - remoteNow);
  }
  if (headers.get('x-ratelimit-remaining')?.trim() === '0') {
    const resetAt = parseResetEpoch(headers);
    if (resetAt !== undefined) return Math.max(0, resetAt - remoteNow);
  }
  return undefined;
}

/** x-ratelimit-reset as epoch milliseconds on the remote's clock. */
export function parseResetEpoch(headers: Headers): number | undefined {
  const reset = headers.get('x-ratelimit-reset')?.trim();
  return reset && /^\d+$/.test(reset) ? Number(reset) * 1000 : undefined;
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
    return new TransientError(`${message} (rate limited, retry in ${Math.ceil(retryAfterMs / 1000)} s)`, status, retryAfterMs);
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
