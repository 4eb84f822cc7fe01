/** The plugin's action: `stats` counts a Tinytracker's items per status, writing progress as it goes. */
import { AuthError, PermanentError, TransientError, defineAction, z } from '@trackbridge/sdk';

const PAGE = 100;
const pageShape = z.looseObject({ items: z.array(z.looseObject({ status: z.string() })), total: z.number().int().nonnegative() });

export const stats = defineAction({
  name: 'stats',
  description: 'Counts the items of a Tinytracker (or one of its projects) per status',
  // No secrets in params (they are stored with the job): the token comes from the worker's TINYTRACKER_TOKEN.
  params: z.object({
    baseUrl: z.url({ protocol: /^https?$/ }),
    project: z.string().min(1).optional(),
  }),
  async run(ctx, { baseUrl, project }) {
    const token = process.env.TINYTRACKER_TOKEN;
    if (!token) throw new PermanentError('stats: set TINYTRACKER_TOKEN on the worker to the tracker\'s x-tinytracker-token');
    const counts: Record<string, number> = {};
    let offset = 0;
    let total: number;
    await ctx.progress({ message: `counting items of ${project ?? 'every project'} at ${baseUrl}`, progress: 0 });
    for (;;) {
      if (ctx.signal.aborted) return null;
      const url = new URL('/items', baseUrl);
      if (project) url.searchParams.set('project', project);
      url.searchParams.set('offset', String(offset));
      url.searchParams.set('limit', String(PAGE));
      const res = await fetch(url, { headers: { 'x-tinytracker-token': token }, signal: ctx.signal });
      if (res.status === 401 || res.status === 403) throw new AuthError(`stats: Tinytracker refused the token (${res.status})`, res.status);
      if (res.status >= 500) throw new TransientError(`stats: Tinytracker answered ${res.status}`, res.status);
      if (!res.ok) throw new PermanentError(`stats: Tinytracker answered ${res.status}`, res.status);
      const page = pageShape.parse(await res.json());
      total = page.total;
      for (const item of page.items) counts[item.status] = (counts[item.status] ?? 0) + 1;
      offset += page.items.length;
      const done = page.items.length === 0 || offset >= total;
      await ctx.progress({ message: `read ${offset} of ${total} items`, progress: total === 0 ? 1 : Math.min(1, offset / total) });
      if (done) break;
    }
    await ctx.progress({ message: 'counted', progress: 1, data: { total, counts } });
    return { total, counts };
  },
});
