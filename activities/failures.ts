import { ApplicationFailure } from '@temporalio/activity';
import { isRemoteError } from '../connectors/errors';
import { isDatabaseUnavailable, summarizeError } from '../lib/error-summary';

export const notFound = (what: string) => ApplicationFailure.nonRetryable(`${what} not found`, 'NotFound');

/** Failure types workflows branch on. */
export const FailureType = {
  auth: 'AuthError', permanent: 'PermanentError', transient: 'TransientError', conflict: 'ConflictError', database: 'DatabaseUnavailable',
} as const;

/**
 * Turns a connector error into the Temporal failure that encodes its retryability: transient ones
 * retry (after the remote's retry-after when it gave one), permanent and auth ones do not. A lost
 * database connection (a terminated backend, a restart, a lost lock) retries too; its failure
 * carries a safe message, since drizzle's own lists the query's bound values.
 */
export function toFailure(err: unknown): unknown {
  if (isDatabaseUnavailable(err) && !isRemoteError(err)) {
    const { message, code, cause } = summarizeError(err);
    return ApplicationFailure.create({ message: cause ? `${message} (${cause})` : message, type: FailureType.database, nonRetryable: false, details: [{ code: code ?? null }] });
  }
  if (!isRemoteError(err)) return err;
  switch (err.kind) {
    case 'transient':
      return ApplicationFailure.create({
        message: err.message,
        type: FailureType.transient,
        nonRetryable: false,
        ...(err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}),
        details: [{ status: err.status ?? null }],
      });
    case 'conflict':
      return ApplicationFailure.create({ message: err.message, type: FailureType.conflict, nonRetryable: false });
    case 'auth':
      return ApplicationFailure.nonRetryable(err.message, FailureType.auth, { status: err.status ?? null });
    case 'permanent':
      return ApplicationFailure.nonRetryable(err.message, FailureType.permanent, { status: err.status ?? null });
  }
}
