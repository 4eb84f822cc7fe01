import type { Context } from 'hono';
import { MemoryStore } from 'hono-rate-limiter';
import { authFailures } from '../lib/metrics';
import type { ClientAddressOf } from './client-address';
import { ApiError } from './errors';

const WINDOW_MS = 60_000;

/** Why a request was refused authentication: the label of trackbridge_auth_failures_total. */
export type AuthFailure = 'missing' | 'bad_token' | 'bad_session' | 'bad_metrics_token';

/** Failures a client could be guessing with: a session cookie is under an HMAC, so guessing one is hopeless. */
const GUESSABLE = new Set<AuthFailure>(['bad_token', 'bad_metrics_token']);

export interface AuthFailureLimit {
  /** Throws 429 with Retry-After, before the token is looked at, while `c`'s address has spent its failures. */
  check(c: Context): void;
  /** Counts a refused authentication in the metrics and, for a guessable credential, against `c`'s address. */
  refused(c: Context, reason: AuthFailure): void;
}

/**
 * Failed authentications per client address and minute (AUTH_FAILURES_PER_MINUTE), kept in
 * hono-rate-limiter's MemoryStore. Only failures are counted, never successes, so a client sending
 * many good requests at once is held to the per-token limit alone; once an address has failed
 * `perMinute` times, every bearer token it sends is answered 429 without asking the database, which
 * also keeps a good token found by guessing from answering anything but 429.
 */
export function authFailureLimit(perMinute: number, addressOf: ClientAddressOf): AuthFailureLimit {
  const store = new MemoryStore();
  store.init({ windowMs: WINDOW_MS } as Parameters<MemoryStore['init']>[0]); // the only option it reads
  const key = (c: Context) => `auth-failures:${addressOf(c)}`;
  return {
    check(c) {
      if (perMinute <= 0) return;
      const seen = store.get(key(c));
      const waitMs = (seen?.resetTime?.getTime() ?? 0) - Date.now();
      if (!seen || seen.totalHits < perMinute || waitMs <= 0) return;
      authFailures.inc({ reason: 'address_limited' });
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new ApiError(429, 'rate_limited', `Too many failed authentications from this address; retry in ${seconds} s (Retry-After)`, undefined, seconds);
    },
    refused(c, reason) {
      authFailures.inc({ reason });
      if (perMinute > 0 && GUESSABLE.has(reason)) store.increment(key(c));
    },
  };
}
