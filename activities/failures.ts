import { ApplicationFailure } from '@temporalio/activity';
import { isRemoteError } from '../connectors/errors';
import { isDatabaseUnavailable, summarizeError } from '../lib/error-summary';
import { Failure } from '../workflows/failures';

export const notFound = (what: string) => ApplicationFailure.nonRetryable(`${what} not found`, Failure.notFound);

/**
 * Turns a connector error into the Temporal failure that encodes its retryability: transient ones
 * retry (after the remote's retry-after when it gave one), permanent and auth ones do not. A lost
 * database connection (a terminated backend, a restart, a lost lock) retries too; its failure
 * carries a safe message, since drizzle's own lists the query's bound values.
 */
export function toFailure(err: unknown): unknown {
  if (isDatabaseUnavailable(err) && !isRemoteError(err)) {
    const { message, code, cause } = summarizeError(err);
    return ApplicationFailure.create({ message: cause ? `${message} (${cause})` : message, type: Failure.database, nonRetryable: false, details: [{ code: code ?? null }] });
  }
  if (!isRemoteError(err)) {
    // Any other failed statement: Temporal keeps the failure's message in history and the run row shows
    // it to API users, and drizzle's message lists the query's bound values (sealed secrets, user text).
    if (!(err instanceof Error) || !isQueryError(err)) return err;
    const { message, code } = summarizeError(err);
    return ApplicationFailure.create({ message, type: Failure.databaseError, nonRetryable: false, details: [{ code: code ?? null }] });
  }
  switch (err.kind) {
    case 'transient':
      return ApplicationFailure.create({
        message: err.message,
        type: Failure.transient,
        nonRetryable: false,
        ...(err.retryAfterMs ? { nextRetryDelay: err.retryAfterMs } : {}),
        details: [{ status: err.status ?? null }],
      });
    case 'conflict':
      return ApplicationFailure.create({ message: err.message, type: Failure.conflict, nonRetryable: false });
    case 'auth':
      return ApplicationFailure.nonRetryable(err.message, Failure.auth, { status: err.status ?? null });
    case 'permanent':
      return ApplicationFailure.nonRetryable(err.message, Failure.permanent, { status: err.status ?? null });
  }
}

/** drizzle's failed-query error, or a pg error that carries a SQLSTATE, anywhere in the cause chain. */
function isQueryError(err: Error): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ('query' in e && 'params' in e) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && 'severity' in e) return true;
  }
  return false;
}
