import { createActionActivities } from './actions';
import { createConnectionActivities } from './connections';
import type { ActivityDeps } from './deps';
import { createSyncActivities } from './sync';
import { createPushActivities } from './push';
import { createBacklogActivities } from './backlog';
import { createHookActivities } from './hooks';
import { createSinkActivities } from './sinks';
import { createPullItemActivities } from './pull-item';
import { createPollActivities } from './poll';

export type { ActivityDeps } from './deps';

/** All activities, built from their dependencies (samples-typescript: activities-dependency-injection). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConnectionActivities(deps),
    ...createSyncActivities(deps),
    ...createPushActivities(deps),
    ...createBacklogActivities(deps),
    ...createActionActivities(deps),
    ...createHookActivities(deps),
    ...createSinkActivities(deps),
    ...createPullItemActivities(deps),
    ...createPollActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
