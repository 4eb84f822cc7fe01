import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { Failure } from './failures';

// "Push directly or via the backlog?" is answered here, and only here: the outbox relay asks it for
// each event, the push activity again as it starts (the binding may have changed since), and the push
// workflow after a failed write. Pure functions, so the workflow can call them too.

/** What the route needs of a binding. */
export interface RoutedBinding { state: string; backlogged: boolean }

export type Route =
  | { to: 'push' }
  | { to: 'backlog'; reason: 'backlogged' | 'paused' }
  | { to: 'skip'; reason: string };

/**
 * Where a story event for a binding goes (O2): a paused binding's events wait in its backlog, and so
 * do a backlogged one's, except the backlog's own writes (`drain`), which go through.
 */
export function routeEvent(binding: RoutedBinding, via: 'direct' | 'drain'): Route {
  if (binding.state === 'deleted') return { to: 'skip', reason: 'binding deleted' };
  if (binding.state === 'paused') return { to: 'backlog', reason: 'paused' };
  if (via === 'direct' && binding.backlogged) return { to: 'backlog', reason: 'backlogged' };
  return { to: 'push' };
}

/**
 * After a direct push failed: rejected credentials (the activity paused the binding) send the event to
 * the backlog, where it waits for the resume; any other activity failure but a missing record means the
 * remote is failing, so the binding is backlogged too and order is kept there. The rest is rethrown.
 */
export function routeFailedPush(err: unknown): 'backlog' | 'backlog-binding' | 'throw' {
  const type = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause.type : undefined;
  if (type === Failure.auth) return 'backlog';
  if (err instanceof ActivityFailure && type !== Failure.notFound) return 'backlog-binding';
  return 'throw';
}
