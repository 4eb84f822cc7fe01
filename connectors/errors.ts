/**
 * Errors a connector raises, classified where they are born.
 * Activities translate them into Temporal failures: transient → retried with backoff
 * (honouring retryAfterMs), permanent → non-retryable and recorded, auth → binding paused.
 */
export type RemoteErrorKind = 'transient' | 'permanent' | 'auth' | 'conflict';

/**
 * Mark errors across copies of this module: the server bundles one copy, and each plugin's
 * `@trackbridge/sdk` another, so the guards below read these marks and never use `instanceof`.
 */
const REMOTE_ERROR = Symbol.for('trackbridge.RemoteError');
const RATE_LIMITED = Symbol.for('trackbridge.RateLimitedError');

const marked = (e: unknown, mark: symbol): boolean => e instanceof Error && (e as unknown as Record<symbol, unknown>)[mark] === true;

export class RemoteError extends Error {
  readonly [REMOTE_ERROR] = true;
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    readonly status?: number,
    /** How long the remote asked us to wait (retry-after or rate-limit reset). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = `RemoteError(${kind})`;
  }
}

export class TransientError extends RemoteError {
  constructor(message: string, status?: number, retryAfterMs?: number) {
    super('transient', message, status, retryAfterMs);
  }
}

/** The remote's rate limit (or our pacing of it) asks for a wait; the binding's status shows it while it lasts. */
export class RateLimitedError extends TransientError {
  readonly [RATE_LIMITED] = true;
  constructor(
    /** Whose limit: "GitHub", "Redmine". */
    readonly service: string,
    message: string,
    status: number | undefined,
    retryAfterMs: number,
  ) {
    super(message, status, retryAfterMs);
    this.name = 'RemoteError(transient, rate limited)';
  }
}

export class PermanentError extends RemoteError {
  constructor(message: string, status?: number) {
    super('permanent', message, status);
  }
}

export class AuthError extends RemoteError {
  constructor(message: string, status?: number) {
    super('auth', message, status);
  }
}

/** The remote item changed under us (e.g. Redmine lock_version); re-read and retry. */
export class ConflictError extends RemoteError {
  constructor(message: string, status?: number) {
    super('conflict', message, status);
  }
}

export const isRemoteError = (e: unknown): e is RemoteError => marked(e, REMOTE_ERROR);
export const isTransientError = (e: unknown): e is TransientError => isRemoteError(e) && e.kind === 'transient';
export const isPermanentError = (e: unknown): e is PermanentError => isRemoteError(e) && e.kind === 'permanent';
export const isAuthError = (e: unknown): e is AuthError => isRemoteError(e) && e.kind === 'auth';
export const isRateLimitedError = (e: unknown): e is RateLimitedError => isTransientError(e) && marked(e, RATE_LIMITED);
export const isConflictError = (e: unknown): e is ConflictError => isRemoteError(e) && e.kind === 'conflict';
