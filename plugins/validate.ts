import { z } from 'zod';
import { limitations } from '../connectors/define';
import { ITEM_FIELDS } from '../connectors/fields';
import { PLUGIN_API_VERSION, hookPoints, type PluginDefinition } from './types';

/** A plugin that cannot be loaded: the message names the package and the field at fault. */
export class PluginError extends Error {
  override name = 'PluginError';
}


const slug = z.string().regex(/^[a-z0-9-]{1,25}$/, 'must be 1-25 characters of [a-z0-9-]');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
// Duck-typed, so a plugin bundling its own copy of zod still passes; `trackbridge/sdk` re-exports ours.
const schema = z.custom<z.ZodType>((v) => typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function', 'must be a zod schema');
const objectSchema = z.custom<z.ZodType>(
  (v) => typeof v === 'object' && v !== null && (v as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'object',
  'must be a zod object schema (z.object({...}))',
);

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name');
const webhooks = z.looseObject({
  signature: z.discriminatedUnion('scheme', [
    z.looseObject({ scheme: z.literal('hmac-sha256'), header: headerName, fallbackHeaders: z.array(headerName).optional() }),
    z.looseObject({ scheme: z.literal('token'), header: headerName }),
  ]),
  events: z.string(),
  deliveryHeader: headerName.optional(),
  read: fn,
});

const connector = z.looseObject({
  // `poke` is the path of the platform's own signed hint (POST /webhooks/poke/<connection>).
  slug: slug.refine((s) => s !== 'poke', 'poke is reserved (POST /webhooks/poke/…)'),
  name: z.string().min(1),
  description: z.string(),
  logoUrl: z.string(),
  configSchema: schema,
  secretsSchema: schema,
  bindingOptions: objectSchema.optional(),
  fields: z.array(z.enum(ITEM_FIELDS)).min(1),
  conditionalRequests: z.boolean(),
  cannot: z.array(z.enum(limitations as [string, ...string[]])).optional(),
  http: z.looseObject({
    service: z.string().min(1),
    auth: z.looseObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name'), value: fn }),
    headers: z.record(z.string(), z.string()).optional(),
    describeError: fn.optional(),
    rateLimitBackoff: z.strictObject({ baseMs: z.number().positive(), maxMs: z.number().positive() }).optional(),
  }),
  webhooks: webhooks.optional(),
  session: fn,
  reader: fn,
  writer: fn.optional(),
  comments: fn.optional(),
  attachments: fn.optional(),
});

const action = z.looseObject({ name: slug, description: z.string(), params: objectSchema, run: fn });
const hook = z.looseObject({ name: slug, on: z.enum(hookPoints as [string, ...string[]]), run: fn });
const sink = z.looseObject({ kind: slug, description: z.string(), configSchema: schema, secretsSchema: schema.optional(), open: fn });

const unique = <T>(key: (t: T) => string, what: string) => (list: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(key(item))) ctx.addIssue({ code: 'custom', path: [i], message: `${what} "${key(item)}" is declared twice` });
    seen.add(key(item));
  });
};

export const pluginSchema = z.looseObject({
  name: z.string().regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/, 'must be an npm package name'),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'must be a semver version such as 1.0.0'),
  apiVersion: z.number().int(),
  connectors: z.array(connector).superRefine(unique((c) => c.slug, 'connector')).optional(),
  actions: z.array(action).superRefine(unique((a) => a.name, 'action')).optional(),
  hooks: z.array(hook).superRefine(unique((h) => h.name, 'hook')).optional(),
  sinks: z.array(sink).superRefine(unique((s) => s.kind, 'sink')).optional(),
});

/** `connectors[0].http.auth.header` */
function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(the export)';
}

/** Checks a plugin's declaration, or throws one PluginError naming the source and every field at fault. */
export function validatePlugin(value: unknown, source: string): PluginDefinition {
  if (typeof value !== 'object' || value === null) {
    throw new PluginError(`plugin ${source}: its default export must be a plugin declaration (definePlugin({...})), got ${value === null ? 'null' : typeof value}`);
  }
  const parsed = pluginSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
    throw new PluginError(`plugin ${source}: ${problems.join('; ')}`);
  }
  if (parsed.data.apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginError(`plugin ${source}: apiVersion: ${parsed.data.apiVersion} is not supported (this trackbridge speaks plugin API ${PLUGIN_API_VERSION})`);
  }
  return value as PluginDefinition;
}
