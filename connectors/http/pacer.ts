import { RateLimitedError } from '../errors';
import { MAX_REMOTE_WAIT_MS, parseResetEpoch, remoteClock } from './classify';

/**
 * Where a remote tells its request budget, read from every answer. GitHub, Jira and many others use
 * `x-ratelimit-remaining` and `x-ratelimit-reset`; GitLab says `ratelimit-remaining`; Linear keeps
 * two budgets, one of requests and one of query complexity, and says what each query cost.
 */
export interface RateLimitHeaders {
  /** What is left in the window. */
  remaining: string;
  /** When the window resets: epoch seconds or milliseconds, or an ISO 8601 instant. */
  reset: string;
  /** A header naming which of the remote's budgets answered (GitHub's `x-ratelimit-resource`); otherwise the request's budget. */
  resource?: string;
  /**
   * A header saying what the answered request cost in the budget's unit (Linear's `x-complexity`):
   * the next request is expected to cost as much. Without it a request costs 1.
   */
  cost?: string;
}

/** The common `x-ratelimit-*` headers (GitHub, Jira Cloud, Redmine behind most proxies). */
export const xRateLimitHeaders: RateLimitHeaders = { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resource: 'x-ratelimit-resource' };

export interface PacingPolicy {
  /** Token bucket: sustained requests per second for one connection, also its burst size. */
  maxRequestsPerSecond: number;
  /** Below this many requests' worth remaining in the remote's window, spread the rest until the reset. */
  lowRemaining: number;
  /** The budgets the remote reports, each paced on its own; the request waits for the one that asks most. Default: `x-ratelimit-*`. */
  rateLimitHeaders?: readonly RateLimitHeaders[];
}

export const defaultPacing: PacingPolicy = { maxRequestsPerSecond: 10, lowRemaining: 50, rateLimitHeaders: [xRateLimitHeaders] };

interface Budget {
  remaining: number;
  /** Local epoch ms at which the remote's window resets. */
  resetAt: number;
  lastSentAt: number;
  /** What one request is expected to cost: the last answer's reported cost, or 1. */
  cost: number;
}

/**
 * Decides how long the next request of one connection must wait: a token bucket caps the rate,
 * and a remote budget (x-ratelimit-remaining / -reset) that runs low spreads the remaining
 * requests evenly over the time left, instead of spending them at once and hitting a 403.
 */
export class Pacer {
  private tokens: number;
  private readonly headers: readonly RateLimitHeaders[];
  private refilledAt: number;
  private readonly budgets = new Map<string, Budget>();

  constructor(private readonly policy: PacingPolicy, private readonly now: () => number) {
    this.tokens = policy.maxRequestsPerSecond;
    this.refilledAt = now();
    this.headers = policy.rateLimitHeaders ?? [xRateLimitHeaders];
  }

  /**
   * Reserves a slot for one request and returns how long to sleep before sending it.
   * Tokens may go negative: concurrent callers each reserve a later slot.
   */
  reserve(budgetName: string): number {
    const now = this.now();
    const rate = this.policy.maxRequestsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    this.tokens -= 1;
    const bucketWait = this.tokens >= 0 ? 0 : (-this.tokens / rate) * 1000;
    let budgetWait = 0;
    for (let i = 0; i < this.headers.length; i++) budgetWait = Math.max(budgetWait, this.budgetWait(`${i}\0${budgetName}`, now));
    return Math.max(bucketWait, budgetWait);
  }

  /** Gives back a reservation that will not be used (its wait was too long to sleep in-process). */
  release(): void {
    this.tokens = Math.min(this.policy.maxRequestsPerSecond, this.tokens + 1);
  }

  /** Learns the remote's budgets from a response. `budgetName` is overridden by a budget's `resource` header. */
  observe(budgetName: string, headers: Headers): void {
    this.headers.forEach((spec, i) => {
      const remainingHeader = headers.get(spec.remaining);
      const resetEpoch = parseResetEpoch(headers, spec.reset);
      if (remainingHeader === null || resetEpoch === undefined) return;
      const now = this.now();
      const key = `${i}\0${(spec.resource && headers.get(spec.resource)) || budgetName}`;
      const previous = this.budgets.get(key);
      const reported = spec.cost ? Number(headers.get(spec.cost)) : Number.NaN;
      this.budgets.set(key, {
        remaining: Number(remainingHeader),
        // Clamped like any wait the remote asks for: a wrong reset must not hold the connection for ever.
        resetAt: now + Math.min(MAX_REMOTE_WAIT_MS, resetEpoch - remoteClock(headers, now)),
        lastSentAt: previous?.lastSentAt ?? now,
        cost: Number.isFinite(reported) && reported > 0 ? reported : previous?.cost ?? 1,
      });
    });
  }

  private budgetWait(name: string, now: number): number {
    const budget = this.budgets.get(name);
    if (!budget || now >= budget.resetAt) {
      if (budget) this.budgets.delete(name);
      return 0;
    }
    // Requests' worth left: a budget counted in points (complexity) holds remaining / cost requests.
    const left = budget.remaining / budget.cost;
    let wait = 0;
    if (left < 1) {
      wait = budget.resetAt - now;
    } else if (left < this.policy.lowRemaining) {
      const spacing = (budget.resetAt - now) / left;
      wait = Math.max(0, budget.lastSentAt + spacing - now);
    }
    // Count the reservation locally until the next response tells the truth.
    budget.remaining = Math.max(0, budget.remaining - budget.cost);
    budget.lastSentAt = now + wait;
    return wait;
  }
}

const sharedPacers = new Map<string, Pacer>();

/** One pacer per connection key, so every client built for the same account shares its budget. */
export function pacerFor(key: string | undefined, policy: PacingPolicy, now: () => number): Pacer {
  if (key === undefined) return new Pacer(policy, now);
  let pacer = sharedPacers.get(key);
  if (!pacer) {
    pacer = new Pacer(policy, now);
    sharedPacers.set(key, pacer);
  }
  return pacer;
}

/** Raised before sending when the budget would make us wait longer than we may sleep in-process. */
export function budgetExhausted(service: string, label: string, waitMs: number): RateLimitedError {
  return new RateLimitedError(service, `${label}: request budget exhausted, retry in ${Math.ceil(waitMs / 1000)} s`, undefined, waitMs);
}
