import { createRoute, z } from '@hono/zod-openapi';
import type { ListenStatus } from '../db/client';
import type { ApiDeps } from './deps';
import { newRouter } from './router';

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Health = z.object({
  status: z.enum(['ok', 'degraded']),
  database: Check,
  temporal: Check,
  notifications: z.object({
    ok: z.boolean(),
    listeners: z.array(z.object({
      channel: z.string(),
      listening: z.boolean(),
      since: z.string().openapi({ description: 'When it connected, or when it was lost' }),
      attempts: z.number().int().openapi({ description: 'Failed reconnect attempts since it was lost' }),
      lastError: z.string().optional(),
    })),
  }).optional().openapi({
    description: "The outbox relay's LISTEN, where this process runs it (npm start). While it reconnects the relay polls, so changes still go out, later.",
  }),
}).openapi('Health');

const route = createRoute({
  method: 'get',
  path: '/',
  summary: 'Database, Temporal and LISTEN reachability',
  responses: {
    200: { description: 'Database and Temporal reachable; `degraded` when only the LISTEN is reconnecting', content: { 'application/json': { schema: Health } } },
    503: { description: 'The database or Temporal is down', content: { 'application/json': { schema: Health } } },
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

/** Omitted when this process holds no LISTEN (the API alone: the worker's relay holds it). */
function notificationsOf(listeners: ListenStatus[]) {
  if (!listeners.length) return undefined;
  return {
    ok: listeners.every((l) => l.listening),
    listeners: listeners.map(({ since, lastError, ...l }) => ({ ...l, since: since.toISOString(), ...(lastError ? { lastError } : {}) })),
  };
}

export function healthRoutes(deps: ApiDeps) {
  return newRouter().openapi(route, async (c) => {
    const [database, temporal] = await Promise.all([probe(deps.checks.database), probe(deps.checks.temporal)]);
    const notifications = notificationsOf(deps.checks.listeners?.() ?? []);
    const body = { database, temporal, ...(notifications ? { notifications } : {}) };
    if (!database.ok || !temporal.ok) return c.json({ status: 'degraded' as const, ...body }, 503);
    return c.json({ status: notifications && !notifications.ok ? 'degraded' as const : 'ok' as const, ...body }, 200);
  });
}
