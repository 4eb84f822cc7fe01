/**
 * The failure types workflows branch on, declared once: activities create them (activities/failures.ts),
 * workflows read them (activity-options.ts).
 */
export const Failure = {
  auth: 'AuthError', permanent: 'PermanentError', transient: 'TransientError', conflict: 'ConflictError', database: 'DatabaseUnavailable',
  databaseError: 'DatabaseError', notFound: 'NotFound',
} as const;
