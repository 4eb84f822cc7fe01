import { Context } from '@temporalio/activity';
import { getBindingWithConnector, setBacklogged } from '../db/bindings';
import type { ActivityDeps } from './deps';
import { notFound } from './failures';

export function createBacklogActivities(deps: ActivityDeps) {
  return {
    /** From now on the relay queues this binding's events on its backlog instead of pushing directly. */
    async markBacklogged({ bindingId }: { bindingId: string }): Promise<void> {
      await setBacklogged(deps.db, bindingId, true);
      deps.logger.warn({ bindingId }, 'remote failing transiently: binding backlogged');
    },

    /** The backlog drained: the binding returns to direct pushes. */
    async clearBacklogged({ bindingId }: { bindingId: string }): Promise<void> {
      await setBacklogged(deps.db, bindingId, false);
    },

    async deferToBacklog({ bindingId, storyId, eventId }: { bindingId: string; storyId: string; eventId: number }): Promise<void> {
      if (!deps.temporal) throw new Error('deferToBacklog needs a Temporal client');
      const row = await getBindingWithConnector(deps.db, bindingId);
      if (!row) throw notFound(`binding ${bindingId}`);
      const binding = { id: bindingId, projectId: row.binding.projectId, connector: row.connector };
      await deps.temporal.signalBacklog(Context.current().info.taskQueue, binding, storyId, eventId);
    },
  };
}
