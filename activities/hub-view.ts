import { PermanentError } from '../connectors/errors';
import { getBindingWithConnector } from '../db/bindings';
import type { Db } from '../db/client';
import { bindingStories, bindingStory } from '../db/stories';
import { isUuid } from '../lib/uuid';
import type { HubStoryQuery, HubView } from '../plugins/types';

const MAX_PAGE = 500;

/** The page size asked for; a bad one is a bug in the action, so it fails the job for good. */
function checkedPageSize(options: HubStoryQuery): number {
  const size = options.pageSize ?? 100;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw new PermanentError(`ctx.hub: pageSize must be an integer from 1 to ${MAX_PAGE}, got ${String(size)}`);
  return size;
}

/** ActionContext.hub: a read-only view of the hub through one binding. Nothing in it writes, nothing in it is a secret. */
export async function openHubView(db: Db, bindingId: string): Promise<HubView> {
  const found = isUuid(bindingId) ? await getBindingWithConnector(db, bindingId) : undefined;
  if (!found || found.binding.state === 'deleted') throw new PermanentError(`ctx.hub: no binding ${JSON.stringify(bindingId)}`);
  const { binding: row, connector } = found;
  const binding = { id: row.id, projectId: row.projectId, connectionId: row.connectionId, connector, scope: row.scope, state: row.state as 'active' | 'paused' };
  return {
    binding,
    async *stories(options = {}) {
      const limit = checkedPageSize(options);
      const query = { limit, includeDeleted: options.includeDeleted ?? false, ...(options.linked === undefined ? {} : { linked: options.linked }) };
      for (let after: string | undefined; ;) {
        const page = await bindingStories(db, binding, { ...query, ...(after === undefined ? {} : { after }) });
        if (page.length) yield page;
        if (page.length < limit) return;
        after = page.at(-1)!.id;
      }
    },
    async story(id) {
      return (isUuid(id) ? await bindingStory(db, binding, id) : undefined) ?? null;
    },
  };
}
