import { createRoute, z } from '@hono/zod-openapi';
import type { ApiDeps } from './deps';
import { newRouter } from './router';

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Health = z.object({ status: z.enum(['ok', 'degraded']), database: Check, temporal: Check }).openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/',
  summary: 'Database and Temporal reachability',
  responses: {
    200: { description: 'Both dependencies reachable', content: { 'application/json': { schema: Health } } },
    503: { description: 'A dependency is down', content: { 'application/json': { schema: Health } } },
  },
});

async function probe(check: () => Promise<void>, timeoutMs = 3000): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).message };
  }
}

export function healthRoutes(deps: ApiDeps) {
  return newRouter().openapi(route, async (c) => {
    const [database, temporal] = await Promise.all([probe(deps.checks.database), probe(deps.checks.temporal)]);
    const ok = database.ok && temporal.ok;
    return ok ? c.json({ status: 'ok' as const, database, temporal }, 200) : c.json({ status: 'degraded' as const, database, temporal }, 503);
  });
}
