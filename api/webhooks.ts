import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { activeBindingsOfConnection } from '../db/bindings';
import { getSealedSecrets } from '../db/connections';
import { webhookSecretOf } from '../lib/connection-secrets';
import { verifyHubSignature, verifyPokeSignature } from '../lib/webhook-signature';
import { pullItem } from '../workflows';
import { BindingIdKey, ConnectorKey, ProjectIdKey, itemChangedSignal, pullItemWorkflowId } from '../workflows/contract';
import type { ApiDeps } from './deps';
import { ApiError, ErrorBody, invalid } from './errors';
import { bounded } from './remote-calls';
import { newRouter } from './router';
import { json } from './schemas';
import { countWebhookDelivery, type WebhookResult } from './webhook-deliveries';
import { pokeBody, sameScope, webhookReaders, type WebhookRequest, type WebhookTarget } from './webhook-targets';

type Source = 'github' | 'jira' | 'poke';

/** The outcome each delivery was given, read back by countWebhookOutcomes once the answer is sent. */
const outcomes = new WeakMap<Request, WebhookResult>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i;
/** Checked against when a connection has no secret, so such a request costs the same as a wrong signature. */
const DECOY_SECRET = randomBytes(32).toString('hex');

const signatureHeader: Record<Source, string> = { github: 'x-hub-signature-256', jira: 'x-hub-signature', poke: 'x-trackbridge-signature-256' };

/** Counts every delivery to /webhooks/* by its outcome; mounted before the limits, so a 413 or 429 is counted too. */
export const countWebhookOutcomes: MiddlewareHandler = async (c, next) => {
  await next();
  const status = c.res.status;
  const source = /^\/webhooks\/(github|jira|poke)\//.exec(c.req.path)?.[1] ?? 'other';
  countWebhookDelivery(outcomes.get(c.req.raw) ?? (status === 413 ? 'too_large' : status === 429 ? 'rate_limited' : status === 401 ? 'bad_signature'
    : status >= 500 ? 'unavailable' : status >= 400 ? 'invalid' : 'accepted'), source);
};

const ConnectionParam = z.object({ connection: z.string().openapi({ param: { name: 'connection', in: 'path' }, description: 'The connection id' }) });
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
const hubRoute = (source: 'github' | 'jira', header: string, events: string) => createRoute({
  method: 'post', path: `/${source}/{connection}`, security: [], request: { params: ConnectionParam },
  summary: `A ${source === 'github' ? 'GitHub' : 'Jira'} webhook (no bearer token: \`${header}\` is the HMAC-SHA256 of the raw body under the connection's webhook secret)`,
  description: `Events ${events}. The payload only names the item; it is fetched from the remote through the normal pull path.`,
  responses: { ...responses, 204: { description: 'A ping' } },
});
const github = hubRoute('github', 'X-Hub-Signature-256', '`issues`, `issue_comment` and `ping`');
const jira = hubRoute('jira', 'X-Hub-Signature', '`jira:issue_created`, `jira:issue_updated`, `comment_created`, `comment_updated`');
const poke = createRoute({
  method: 'post', path: '/poke/{connection}', security: [], request: { params: ConnectionParam },
  summary: 'Tell trackbridge that a remote item changed: `{"remoteId", "scope"?}`, signed in `X-Trackbridge-Signature-256: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`',
  responses: { ...responses, 400: json(ErrorBody, 'Signed, but not a poke body') },
});

/** POST /webhooks/{github,jira,poke}/{connection}: no bearer token; each request proves itself with its signature. */
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

  /** The raw body once its signature is checked; a 401 (logged without the secret or the body) otherwise. */
  async function verify(c: Context, source: Source): Promise<{ connectionId: string; connector: string; body: string }> {
    const connectionId = c.req.param('connection') ?? '';
    const raw = Buffer.from(await c.req.arrayBuffer());
    const found = await secretOf(connectionId);
    const header = c.req.header(signatureHeader[source]) ?? (source === 'jira' ? c.req.header('x-hub-signature-256') : undefined);
    const verdict = source === 'poke'
      ? verifyPokeSignature(found?.secret ?? DECOY_SECRET, raw.toString('utf8'), header, Math.floor(Date.now() / 1000))
      : verifyHubSignature(found?.secret ?? DECOY_SECRET, raw, header) ? 'ok' : 'bad';
    if (!found || verdict !== 'ok') {
      const result = verdict === 'stale' && found ? 'stale' : 'bad_signature';
      decide(c, result);
      deps.logger.warn({
        source, connection: UUID.test(connectionId) ? connectionId : '(not an id)', result,
        reason: !found ? 'unknown connection or no webhook secret' : header ? `${verdict} signature` : 'no signature',
      }, 'webhook refused');
      if (result === 'stale') throw new ApiError(401, 'stale_signature', 'The signed timestamp is more than five minutes away from now');
      throw new ApiError(401, 'invalid_signature', `Missing or invalid ${signatureHeader[source]}`);
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
        typedSearchAttributes: [{ key: BindingIdKey, value: b.id }, { key: ProjectIdKey, value: b.projectId }, { key: ConnectorKey, value: connector }],
      }));
    }
    decide(c, 'accepted');
    return c.json({ accepted: bindings.length }, 202);
  }

  async function hub(c: Context, source: 'github' | 'jira') {
    const { connectionId, connector, body } = await verify(c, source);
    if (connector !== source) {
      decide(c, 'invalid');
      throw new ApiError(422, 'wrong_connector', `This is a ${connector} connection`, [{ path: 'connection', message: `a ${connector} connection: use /webhooks/poke/${connectionId}` }]);
    }
    const payload = parseJson(c, body);
    const request: WebhookRequest = webhookReaders[source]!(c.req.header('x-github-event'), payload);
    deps.logger.debug({ source, connection: connectionId, delivery: c.req.header('x-github-delivery') ?? c.req.header('x-atlassian-webhook-identifier'), kind: request.kind }, 'webhook');
    if (request.kind === 'ping') {
      decide(c, 'ping');
      return c.body(null, 204);
    }
    if (request.kind === 'ignored') {
      decide(c, 'ignored');
      return c.json({ accepted: 0, reason: request.reason }, 202);
    }
    return hint(c, connectionId, connector, request.target);
  }

  return newRouter()
    .openapi(github, (c) => hub(c, 'github'))
    .openapi(jira, (c) => hub(c, 'jira'))
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
}
