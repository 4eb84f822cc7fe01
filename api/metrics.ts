import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono } from 'hono';
import { databaseReadings } from '../db/metrics';
import { registerDatabaseGauges, registry } from '../lib/metrics';
import type { AuthFailureLimit } from './auth-failures';
import type { ApiDeps } from './deps';
import { ApiError } from './errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` in the Prometheus text format, behind its own token (METRICS_TOKEN), not an API
 * token: a scraper gets metrics and nothing else. Without METRICS_TOKEN the route does not exist.
 * Wrong tokens count against the client address like wrong API tokens (`failures`).
 */
export function metricsRoutes(deps: Pick<ApiDeps, 'db' | 'metricsToken'>, failures: AuthFailureLimit) {
  const app = new Hono();
  const token = deps.metricsToken;
  if (!token) return app;
  registerDatabaseGauges(databaseReadings(deps.db));
  const expected = digest(token);
  return app.get('/', async (c) => {
    const header = c.req.header('authorization');
    if (header) failures.check(c);
    const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    // Compared as digests: constant time, whatever the lengths.
    if (!given || !timingSafeEqual(digest(given), expected)) {
      failures.refused(c, header ? 'bad_metrics_token' : 'missing');
      c.header('WWW-Authenticate', 'Bearer realm="trackbridge-metrics"');
      throw new ApiError(401, 'unauthorized', 'Missing or wrong metrics token (METRICS_TOKEN)');
    }
    return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
  });
}
