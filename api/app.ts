import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import { bearerAuth, type AuthVariables } from './auth';
import { connectionRoutes } from './connections';
import { connectorRoutes } from './connectors';
import { pluginRoutes } from './plugins';
import { actionRoutes } from './actions';
import { jobRoutes } from './jobs';
import { hookRoutes } from './hooks';
import { sinkRoutes } from './sinks';
import { metricsRoutes } from './metrics';
import type { ApiDeps } from './deps';
import { ApiError, errorHandler } from './errors';
import { healthRoutes } from './health';
import { runRoutes } from './runs';
import { projectRoutes } from './projects';
import { bindingRoutes } from './bindings';
import { storyReadRoutes } from './stories';
import { inboxRoutes } from './inbox';
import { hubRoutes } from './hub';
import { backlogRoutes } from './backlog';
import { ruleRoutes } from './rules';
import { bindingRunRoutes } from './binding-runs';
import { attachmentRoutes } from './attachments';
import { sessionRoutes } from './session';
import { explainRoutes } from './explain';
import { apiLimits, bodyLimits, closeUnreadBodies, rateLimit, requestTimeout } from './limits';
import { authFailureLimit } from './auth-failures';
import { clientAddressOf } from './client-address';
import { strictUtf8Json } from './router';
import { countWebhookOutcomes, webhookRoutes } from './webhooks';

export type { ApiDeps } from './deps';

/** The HTTP API. Tests drive it with `app.request()`; the server wraps it with @hono/node-server. */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  app.onError(errorHandler(deps.logger));
  app.notFound(() => {
    throw new ApiError(404, 'not_found', 'No such route');
  });
  const limits = apiLimits(deps.limits);
  const addressOf = clientAddressOf(deps.trustedProxies);
  // Bad tokens are limited by address (failures), not by this per-token budget: each wrong token has a fresh one.
  const failures = authFailureLimit(limits.authFailuresPerMinute, addressOf);
  app.use('*', closeUnreadBodies);
  app.use('*', requestTimeout(limits.requestTimeoutMs));
  // Before the limits: a webhook refused for its size or its rate is counted too.
  app.use('/webhooks/*', countWebhookOutcomes(deps.connectors));
  app.use('*', rateLimit(limits, addressOf));
  app.use('*', bearerAuth(deps.db, deps.secretBox, failures));
  app.use('*', bodyLimits(limits));
  app.use('*', strictUtf8Json);

  app.route('/health', healthRoutes(deps));
  app.route('/session', sessionRoutes(deps));
  app.route('/metrics', metricsRoutes(deps, failures));
  app.route('/connectors', connectorRoutes(deps));
  app.route('/connections', connectionRoutes(deps));
  app.route('/plugins', pluginRoutes(deps));
  app.route('/plugins', actionRoutes(deps));
  app.route('/jobs', jobRoutes(deps));
  app.route('/hooks', hookRoutes(deps));
  app.route('/sinks', sinkRoutes(deps));
  app.route('/runs', runRoutes(deps));
  app.route('/projects', projectRoutes(deps));
  app.route('/bindings', bindingRoutes(deps));
  app.route('/bindings', inboxRoutes(deps));
  app.route('/bindings', backlogRoutes(deps));
  app.route('/bindings', ruleRoutes(deps));
  app.route('/bindings', bindingRunRoutes(deps));
  app.route('/', storyReadRoutes(deps));
  app.route('/', hubRoutes(deps));
  app.route('/', attachmentRoutes(deps));
  app.route('/', explainRoutes(deps));
  app.route('/webhooks', webhookRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'Create one with `npm run token -- create <name>`',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'trackbridge', version: '0.1.0', description: 'Durable two-way sync between a hub and remote issue trackers.' },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  return app;
}

export type App = ReturnType<typeof createApp>;
