/** GitHub's primary (core) and search rate-limit budgets, and the headers that report them. */
import type { Clock } from './clock';

export type RateResource = 'core' | 'search';
export interface RateState { limit: number; remaining: number; used: number; reset: number }

interface RateBucket { limit: number; remaining: number; resetAt: number; windowMs: number }

export function createRateLimits(clock: Clock, core: number, searchLimit: number) {
  const buckets: Record<RateResource, RateBucket> = {
    core: { limit: core, remaining: core, resetAt: 0, windowMs: 3_600_000 },
    search: { limit: searchLimit, remaining: searchLimit, resetAt: 0, windowMs: 60_000 },
  };
  const current = (resource: RateResource): RateBucket => {
    const bucket = buckets[resource];
    if (clock.now() >= bucket.resetAt) Object.assign(bucket, { remaining: bucket.limit, resetAt: clock.now() + bucket.windowMs });
    return bucket;
  };
  const state = (resource: RateResource): RateState => {
    const b = current(resource);
    return { limit: b.limit, remaining: b.remaining, used: b.limit - b.remaining, reset: Math.ceil(b.resetAt / 1000) };
  };
  return {
    state,
    exhausted: (resource: RateResource): boolean => current(resource).remaining <= 0,
    charge: (resource: RateResource): void => { current(resource).remaining--; },
    set(resource: RateResource, opts: { limit?: number; remaining?: number; resetInMs?: number }): void {
      const b = current(resource);
      if (opts.limit !== undefined) b.limit = opts.limit;
      b.remaining = Math.min(b.limit, opts.remaining ?? b.remaining);
      if (opts.resetInMs !== undefined) b.resetAt = clock.now() + opts.resetInMs;
    },
    headers(resource: RateResource): Record<string, string> {
      const s = state(resource);
      return {
        'x-ratelimit-limit': String(s.limit), 'x-ratelimit-remaining': String(s.remaining), 'x-ratelimit-used': String(s.used),
        'x-ratelimit-reset': String(s.reset), 'x-ratelimit-resource': resource,
      };
    },
  };
}
export type RateLimits = ReturnType<typeof createRateLimits>;
