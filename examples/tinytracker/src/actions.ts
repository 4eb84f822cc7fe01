/** The plugin's action: `stats` counts the items of a Tinytracker project per status, writing progress as it goes. */
import { PermanentError, defineAction, z } from '@trackbridge/sdk';

export const stats = defineAction({
  name: 'stats',
  description: 'Counts the items of a Tinytracker project per status',
  // No secrets in params (they are stored with the job): the action names a connection, and the worker
  // opens it with its sealed secrets (ctx.connection).
  params: z.object({
    connectionId: z.uuid(),
    project: z.string().min(1),
  }),
  async run(ctx, { connectionId, project }) {
    const connection = await ctx.connection(connectionId);
    if (connection.connector !== 'tinytracker') throw new PermanentError(`stats: connection ${connectionId} is a ${connection.connector} connection, not tinytracker`);
    const counts: Record<string, number> = {};
    let total = 0;
    await ctx.progress({ message: `counting the items of ${project}`, progress: 0 });
    // A complete listing (no cursor), page by page, through the connector's own reader.
    for await (const page of connection.client.pull(project, null)) {
      if (ctx.signal.aborted) return null;
      for (const item of page.items) {
        counts[item.fields.status] = (counts[item.fields.status] ?? 0) + 1;
      }
      total += page.items.length;
      await ctx.progress({ message: `read ${total} items`, ...(page.total ? { progress: Math.min(1, total / page.total) } : {}) });
    }
    await ctx.progress({ message: 'counted', progress: 1, data: { total, counts } });
    return { total, counts };
  },
});
