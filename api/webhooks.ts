import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { activeBindingsOfConnection } from '../db/bindings';
import { getSealedSecrets } from '../db/connections';
import { webhookSecretOf } from '../lib/connection-secrets';
import { verifyHmacHeader, verifyPokeSignature, verifyToken } from '../lib/webhook-signature';
import type { ConnectorDefinition, WebhookDeclaration, WebhookRequest } from '../connectors/types';
import { pullItem } from '../workflows';
import { bindingSearchAttributes, itemChangedSignal, pullItemWorkflowId } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, invalid } from './errors';
import { bounded } from './remote-calls';
import { newRouter } from './router';
import { json } from './schemas';
import { countWebhookDelivery, type WebhookResult } from './webhook-deliveries';
import { pokeBody, sameScope, type WebhookTarget } from './webhook-targets';

/** The outcome each delivery was given, read back by countWebhookOutcomes once the answer is sent. */
const outcomes = new WeakMap<Request, WebhookResult>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;
/** Checked against when a connection has no secret, so such a request costs the same as a wrong signature. */
const DECOY_SECRET = randomBytes(32).toString('hex');

const POKE_HEADER = 'x-trackbridge-signature-256';

/**
 * Counts every delivery to /webhooks/* by its outcome and source (a connector with webhooks, `poke`, or
 * `other`); mounted before the limits, so a 413 or 429 is counted too.
 */
export const countWebhookOutcomes = (connectors: readonly ConnectorDefinition[]): MiddlewareHandler => {
  const sources = new Set(['poke', ...connectors.filter((c) => c.webhooks).map((c) => c.slug)]);
  return async (c, next) => {
    await next();
    const status = c.res.status;
    const named = /^\/webhooks\/([a-z0-9-]+)\//.exec(c.req.path)?.[1];
    const source = named !== undefined && sources.has(named) ? named : 'other';
    countWebhookDelivery(outcomes.get(c.req.raw) ?? (status === 413 ? 'too_large' : status === 429 ? 'rate_limited' : status === 401 ? 'bad_signature'
      : status >= 500 ? 'unavailable' : status >= 400 ? 'invalid' : 'accepted'), source);
  };
};

const ConnectionParam = z.object({ connection: z.string().openapi({ param: { name: 'connection', in: 'path' }, description: 'The connection id' }) });
const header = (declaration: WebhookDeclaration) => declaration.signature.header;
const Accepted = z.object({
  accepted: z.number().int().openapi({ description: 'Bindings whose fetch of the item was started or signalled' }),
  reason: z.string().optional().openapi({ description: 'Why nothing was fetched' }),
}).openapi('WebhookAccepted');
const responses = {
  202: json(Accepted, 'Taken as a hint: the item is fetched from the remote'),
  401: json(ErrorBody, 'Missing, wrong or stale signature; also an unknown connection or one without a webhook secret'),
  413: json(ErrorBody, 'Body over API_BODY_LIMIT_BYTES'),
  422: json(ErrorBody, 'Signed, but the connection is of another connector'),
  429: json(ErrorBody, 'Rate limited'),
};
/** One route per connector that declares webhooks (connectors/types.ts: WebhookDeclaration). */
const connectorRoute = (connector: ConnectorDefinition, declaration: WebhookDeclaration) => createRoute({
  method: 'post', path: `/${connector.slug}/{connection}`, security: [], request: { params: ConnectionParam },
  summary: `A ${connector.name} webhook (no bearer token: \`${header(declaration)}\` ${declaration.signature.scheme === 'token'
    ? 'carries the connection\'s webhook secret'
    : 'is the HMAC-SHA256 of the raw body under the connection\'s webhook secret'})`,
  description: `Events ${declaration.events}. The payload only names the item; it is fetched from the remote through the normal pull path.`,
  responses: { ...responses, 204: { description: 'A ping' } },
});
const poke = createRoute({
  method: 'post', path: '/poke/{connection}', security: [], request: { params: ConnectionParam },
  summary: 'Tell trackbridge that a remote item changed: `{"remoteId", "scope"?}`, signed in `X-Trackbridge-Signature-256: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`',
  responses: { ...responses, 400: json(ErrorBody, 'Signed, but not a poke body') },
});

/** POST /webhooks/{connector,poke}/{connection}: no bearer token; each request proves itself with its signature. */
export function webhookRoutes(deps: ApiDeps) {
  const decide = (c: Context, result: WebhookResult) => outcomes.set(c.req.raw, result);

  /** The connection's connector and webhook secret, or nothing: an unknown connection looks like one without a secret. */
  async function secretOf(id: string): Promise<{ connector: string; secret: string } | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await getSealedSecrets(deps.db, id);
    if (!row) return undefined;
    try {
      const secret = webhookSecretOf(deps.secretBox.open(row.secretsSealed));
      return secret ? { connector: row.connector, secret } : undefined;
    } catch {
      deps.logger.error({ connection: id }, 'webhook: the connection\'s secrets do not open with this key');
      return undefined;
    }
  }

  /** The signature header a delivery carries: the declared one, else the first fallback present. */
  const signatureOf = (c: Context, declaration: WebhookDeclaration | undefined): { name: string; value: string | undefined } => {
    if (!declaration) return { name: POKE_HEADER, value: c.req.header(POKE_HEADER) };
    const names = [declaration.signature.header, ...(declaration.signature.scheme === 'hmac-sha256' ? declaration.signature.fallbackHeaders ?? [] : [])];
    return { name: declaration.signature.header, value: names.map((n) => c.req.header(n)).find((v) => v !== undefined) };
  };

  /**
   * The raw body once its signature is checked, by the connector's declaration (`declaration`) or the
   * poke's scheme (none); a 401 (logged without the secret or the body) otherwise.
   */
  async function verify(c: Context, source: string, declaration?: WebhookDeclaration): Promise<{ connectionId: string; connector: string; body: string }> {
    const connectionId = c.req.param('connection') ?? '';
    const raw = Buffer.from(await c.req.arrayBuffer());
    const found = await secretOf(connectionId);
    const secret = found?.secret ?? DECOY_SECRET;
    const signature = signatureOf(c, declaration);
    const verdict = !declaration
      ? verifyPokeSignature(secret, raw.toString('utf8'), signature.value, Math.floor(Date.now() / 1000))
      : (declaration.signature.scheme === 'token' ? verifyToken(secret, signature.value) : verifyHmacHeader(secret, raw, signature.value)) ? 'ok' : 'bad';
    if (!found || verdict !== 'ok') {
      const result = verdict === 'stale' && found ? 'stale' : 'bad_signature';
      decide(c, result);
      deps.logger.warn({
        source, connection: UUID.test(connectionId) ? connectionId : '(not an id)', result,
        reason: !found ? 'unknown connection or no webhook secret' : signature.value ? `${verdict} signature` : 'no signature',
      }, 'webhook refused');
      if (result === 'stale') throw new ApiError(401, 'stale_signature', 'The signed timestamp is more than five minutes away from now');
      throw new ApiError(401, 'invalid_signature', `Missing or invalid ${signature.name}`);
    }
    return { connectionId, connector: found.connector, body: raw.toString('utf8') };
  }

  function parseJson(c: Context, body: string): unknown {
    const media = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
    if (!JSON_MEDIA.test(media)) {
      decide(c, 'invalid');
      throw new ApiError(415, 'unsupported_media_type', 'Send the payload as application/json', [{ path: 'content-type', message: 'expected application/json' }]);
    }
    try {
      return JSON.parse(body) as unknown;
    } catch {
      decide(c, 'invalid');
      throw new ApiError(400, 'invalid_request', 'Malformed JSON in request body', [{ path: 'body', message: 'not valid JSON' }]);
    }
  }

  /** Starts (or signals) the item's fetch on every active binding of the connection whose scope matches. */
  async function hint(c: Context, connectionId: string, connector: string, target: WebhookTarget) {
    const bindings = (await activeBindingsOfConnection(deps.db, connectionId)).filter((b) => target.scope === undefined || sameScope(b.scope, target.scope));
    if (!bindings.length) {
      decide(c, 'ignored');
      return c.json({ accepted: 0, reason: 'no active binding of that scope' }, 202);
    }
    decide(c, 'unavailable'); // until every signal is in
    for (const b of bindings) {
      await bounded(deps, () => deps.temporal.workflow.signalWithStart(pullItem, {
        workflowId: pullItemWorkflowId(b.id, target.remoteId),
        taskQueue: deps.taskQueue,
        args: [{ bindingId: b.id, remoteId: target.remoteId }],
        signal: itemChangedSignal,
        signalArgs: [],
        typedSearchAttributes: bindingSearchAttributes({ ...b, connector }),
      }));
    }
    decide(c, 'accepted');
    return c.json({ accepted: bindings.length }, 202);
  }

  /** A delivery from a connector's remote: verified and read as its declaration says. */
  async function fromRemote(c: Context, source: string, declaration: WebhookDeclaration) {
    const { connectionId, connector, body } = await verify(c, source, declaration);
    if (connector !== source) {
      decide(c, 'invalid');
      throw new ApiError(422, 'wrong_connector', `This is a ${connector} connection`, [{ path: 'connection', message: `a ${connector} connection: use /webhooks/poke/${connectionId}` }]);
    }
    const payload = parseJson(c, body);
    let request: WebhookRequest;
    try {
      request = declaration.read({ header: (name) => c.req.header(name), payload });
    } catch (err) {
      deps.logger.warn({ source, connection: connectionId, error: (err as Error).message }, 'webhook: the connector could not read the payload');
      request = { kind: 'ignored', reason: 'the connector could not read the payload' };
    }
    // The id names a workflow: held to the poke's rule, whatever the payload carried.
    if (request.kind === 'item' && !pokeBody.shape.remoteId.safeParse(request.remoteId).success) request = { kind: 'ignored', reason: 'the payload names no item id trackbridge takes' };
    const delivery = declaration.deliveryHeader ? c.req.header(declaration.deliveryHeader) : undefined;
    deps.logger.debug({ source, connection: connectionId, delivery, kind: request.kind }, 'webhook');
    if (request.kind === 'ping') {
      decide(c, 'ping');
      return c.body(null, 204);
    }
    if (request.kind === 'ignored') {
      decide(c, 'ignored');
      return c.json({ accepted: 0, reason: request.reason }, 202);
    }
    return hint(c, connectionId, connector, { remoteId: request.remoteId, ...(request.scope !== undefined ? { scope: request.scope } : {}) });
  }

  // The poke first: its path is not a connector's.
  const router = newRouter()
    .openapi(poke, async (c) => {
      const { connectionId, connector, body } = await verify(c, 'poke');
      const parsed = pokeBody.safeParse(parseJson(c, body));
      if (!parsed.success) {
        decide(c, 'invalid');
        throw invalid(parsed.error, ['body']);
      }
      const { remoteId, scope } = parsed.data;
      return hint(c, connectionId, connector, { remoteId, ...(scope !== undefined ? { scope } : {}) });
    });
  for (const connector of deps.connectors) {
    const declaration = connector.webhooks;
    if (declaration && connector.slug !== 'poke') router.openapi(connectorRoute(connector, declaration), (c) => fromRemote(c, connector.slug, declaration));
  }
  return router;
}
