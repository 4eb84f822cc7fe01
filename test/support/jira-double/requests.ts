/**
 * The double checks what it is sent, not only what it answers: each request body is held to jira.js's
 * request models (the zod schemas generated from Atlassian's OpenAPI document, built strict as in
 * ../jira-contract.ts), and every ADF document to @atlaskit/adf-schema's JSON schema. A request that
 * fails gets the 400 Jira gives for it, so a connector bug surfaces as the refusal Jira would send.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import { z } from 'zod';
import type { Reply } from './routes';
import type { Store } from './store';

// jira.js builds its schemas when its module is evaluated: the switch must be set before the import.
process.env.AUDIT_SCHEMAS = 'true';
const m = await import('jira.js/cloud');

const require = createRequire(import.meta.url);
const ajv = new Ajv({ allErrors: false, strict: false });
const validAdf = ajv.compile(JSON.parse(readFileSync(require.resolve('@atlaskit/adf-schema/dist/json-schema/v1/full.json'), 'utf8')) as object);

const INVALID_PAYLOAD = 'Invalid request payload. Refer to the REST API documentation and try again.';
const NOT_ADF = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';

/** Data Center's REST v2 takes the same bodies with wiki strings where Cloud takes ADF. */
const comment = (cloud: boolean) => z.strictObject({ body: cloud ? m.DocumentSchema : z.string(), visibility: m.VisibilitySchema.optional(), properties: z.array(m.EntityPropertySchema).optional() });

/** The request model of each operation with a body, by method and path (after /rest/api/{v}). */
function models(cloud: boolean): Array<[string, RegExp, z.ZodType]> {
  return [
    ['POST', /^\/issue$/, m.IssueUpdateDetailsSchema],
    ['PUT', /^\/issue\/[^/]+$/, m.IssueUpdateDetailsSchema],
    ['POST', /^\/issue\/[^/]+\/transitions$/, m.IssueUpdateDetailsSchema],
    ['POST', /^\/issue\/[^/]+\/comment$/, comment(cloud)],
    ['PUT', /^\/issue\/[^/]+\/comment\/\d+$/, comment(cloud)],
    ['POST', /^\/search\/jql$/, m.SearchAndReconcileRequestSchema],
    ['POST', /^\/search$/, m.SearchRequestSchema],
  ];
}

/** The ADF documents of a request on v3: descriptions, multi-line text fields and comment bodies, by the field that holds each. */
function adfOf(store: Store, path: string, body: Record<string, unknown>): Array<[string, unknown]> {
  if (/\/comment(\/\d+)?$/.test(path)) return [['comment', body.body]];
  const fields = typeof body.fields === 'object' && body.fields !== null ? (body.fields as Record<string, unknown>) : {};
  const rich = ['description', ...store.customFields.filter((f) => f.type === 'textarea').map((f) => f.id)];
  return rich.filter((id) => fields[id] !== undefined && fields[id] !== null && typeof fields[id] === 'object').map((id) => [id, fields[id]]);
}

/** The 400 Jira answers a request with, or undefined when the request is well-formed. */
export function checkRequest(store: Store, cloud: boolean, method: string, path: string, body: unknown): Reply | undefined {
  const model = models(cloud).find(([mth, pattern]) => mth === method && pattern.test(path));
  if (!model) return undefined;
  const parsed = model[2].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Jira says no more than the first line; the second is the double's, for whoever reads the failure.
    return { status: 400, body: { errorMessages: [INVALID_PAYLOAD, ...(issue ? [`(request model) ${issue.path.join('.') || '(body)'}: ${issue.message}`] : [])], errors: {} } };
  }
  if (!cloud) return undefined;
  const bad = adfOf(store, path, body as Record<string, unknown>).find(([, doc]) => !validAdf(doc));
  return bad ? { status: 400, body: { errorMessages: [], errors: { [bad[0]]: NOT_ADF } } } : undefined;
}
