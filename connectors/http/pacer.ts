import { RateLimitedError } from '../errors';
import { MAX_REMOTE_WAIT_MS, parseResetEpoch, remoteClock } from './classify';

export interface PacingPolicy {
  /** Token bucket: sustained requests per second for one connection, also its burst size. */
  maxRequestsPerSecond: number;
  /** Below this many remaining requests in the remote's window, spread the rest until the reset. */
  lowRemaining: number;
}

export const defaultPacing: PacingPolicy = { maxRequestsPerSecond: 10, lowRemaining: 50 };

interface Budget {
  remaining: number;
  /** Local epoch ms at which the remote's window resets. */
  resetAt: number;
  lastSentAt: number;
}

/**
 * Decides how long the next request of one connection must wait: a token bucket caps the rate,
 * and a remote budget (x-ratelimit-remaining / -reset) that runs low spreads the remaining
 * requests evenly over the time left, instead of spending them at once and hitting a 403.
 */
export class Pacer {
  private tokens: number;
  private refilledAt: number;
  private readonly budgets = new Map<string, Budget>();

  constructor(private readonly policy: PacingPolicy, private readonly now: () => number) {
    this.tokens = policy.maxRequestsPerSecond;
    this.refilledAt = now();
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
    return Math.max(bucketWait, this.budgetWait(budgetName, now));
  }

  /** Gives back a reservation that will not be used (its wait was too long to sleep in-process). */
  release(): void {
    this.tokens = Math.min(this.policy.maxRequestsPerSecond, this.tokens + 1);
  }

  /** Learns the remote's budget from a response. `budgetName` is overridden by x-ratelimit-resource. */
  observe(budgetName: string, headers: Headers): void {
    const remainingHeader = headers.get('x-ratelimit-remaining');
    const resetEpoch = parseResetEpoch(headers);
    if (remainingHeader === null || resetEpoch === undefined) return;
    const now = this.now();
    const name = headers.get('x-ratelimit-resource') ?? budgetName;
    const previous = this.budgets.get(name);
    this.budgets.set(name, {
      remaining: Number(remainingHeader),
      // Clamped like any wait the remote asks for: a wrong reset must not hold the connection for ever.
      resetAt: now + Math.min(MAX_REMOTE_WAIT_MS, resetEpoch - remoteClock(headers, now)),
      lastSentAt: previous?.lastSentAt ?? now,
    });
  }

  private budgetWait(name: string, now: number): number {
    const budget = this.budgets.get(name);
    if (!budget || now >= budget.resetAt) {
      if (budget) this.budgets.delete(name);
      return 0;
    }
    let wait = 0;
    if (budget.remaining <= 0) {
      wait = budget.resetAt - now;
    } else if (budget.remaining < this.policy.lowRemaining) {
      const spacing = (budget.resetAt - now) / budget.remaining;
      wait = Math.max(0, budget.lastSentAt + spacing - now);
    }
    // Count the reservation locally until the next response tells the truth.
    budget.remaining = Math.max(0, budget.remaining - 1);
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
