import { Context } from '@temporalio/activity';

/**
 * Heartbeats on a timer while `fn` runs, so a worker that dies is noticed within the heartbeat
 * timeout, while a slow but live remote call is not cut short.
 */
export async function withHeartbeat<T>(fn: () => Promise<T>, everyMs = 3000): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return fn(); // called outside an activity (a direct call in a test)
  }
  // A local activity (a scheduled pull, see activities/poll.ts) cannot heartbeat: its workflow task
  // keeps it alive instead.
  if (context.info.isLocal) return fn();
  context.heartbeat();
  const timer = setInterval(() => context?.heartbeat(), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
