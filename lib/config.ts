import { z } from 'zod';
import { isIP } from 'node:net';
import { keyWeakness } from './crypto';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Every environment variable trackbridge reads, parsed once at boot. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Comma-separated npm package names or paths of plugins to load at boot (API and worker alike). */
  TRACKBRIDGE_PLUGINS: z.string().optional(),
  /**
   * A folder of installed plugins, searched before node_modules (relative to the working directory):
   * an npm project the plugins were installed into (its node_modules), or plugin package folders side by side.
   */
  TRACKBRIDGE_PLUGINS_DIR: z.string().min(1).optional(),
  /** Development only: lets TRACKBRIDGE_PLUGINS name a plugin whose entry is TypeScript, loaded through tsx (installed separately). */
  TRACKBRIDGE_PLUGINS_TS: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('trackbridge'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_CLI: z.string().min(1).optional(),
  /** The Temporal UI the console links to (filtered by BindingId); with the managed dev server, http://localhost:TEMPORAL_UI_PORT. */
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  /** A workflow bundle built ahead (bundleWorkflowCode): the worker starts without bundling, in under a second. */
  TEMPORAL_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** 32 bytes, base64 or hex: the AES-256-GCM key for connection secrets. */
  TRACKBRIDGE_SECRET_KEY: z
    .string()
    .refine((v) => decodeKey(v) !== null, 'expected 32 bytes as base64 or 64 hex characters')
    .optional(),
  /** Where users reach the API; links to hub files posted on remotes (GitHub) start with it. Default http://localhost:PORT. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  OUTBOX_POLL_MS: z.coerce.number().int().min(50).default(1000),
  /** Enables GET /metrics on the API behind this bearer token (Prometheus `authorization` credentials). */
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').max(200).optional(),
  /** A worker running on its own serves /metrics on this port (no token: bind it to a private address). */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Minutes between id-only deletion sweeps after a binding's pulls, for connectors that can list ids
   * alone (Jira); 0 sweeps after every pull. Other connectors find deletions after an initial sync.
   */
  DELETION_SWEEP_MINUTES: z.coerce.number().int().min(0).max(10080).default(60),
  /** Days a plugin hook's run stays listed by GET /hooks/runs. */
  HOOK_RUN_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
  /**
   * Days outbox events are kept once relayed and delivered to every sink: how far back a sink can be
   * replayed (POST /sinks/{id}/replay).
   */
  OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Days an explain-log entry (GET /stories/{id}/activity, GET /bindings/{id}/activity) is kept. */
  EXPLAIN_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Days a finished plugin job (and its entries) stays readable by GET /jobs/{id}; running jobs are kept. */
  JOB_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Largest JSON (or other non-upload) request body, in bytes. */
  API_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Largest file upload, in bytes, counted while the body streams in. */
  UPLOAD_LIMIT_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  /** Requests per minute per API token (or per client address before sign-in); 0 turns the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  /**
   * Failed authentications per minute from one client address; past them, every bearer token from
   * that address is answered 429 before it is checked. 0 turns the limit off.
   */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(20),
  /**
   * Reverse proxies, as addresses or CIDRs, comma-separated, whose X-Forwarded-For names the client.
   * Unset: the header is ignored and the socket's peer is the client.
   */
  TRUSTED_PROXIES: z.string().transform(parseTrustedProxies).optional(),
  /** A request that takes longer than this is answered 503 and its socket closed. */
  API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** How long the API waits on one Temporal call before answering 503 with Retry-After. */
  TEMPORAL_CALL_TIMEOUT_MS: z.coerce.number().int().min(500).default(5000),
  /** Open sockets the API accepts at once; more are refused. */
  API_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1024),
  /**
   * Private and loopback destinations connections, sinks and plugins may reach in production, as hosts or CIDRs,
   * comma-separated (e.g. "redmine.internal,10.0.0.0/8"). Link-local and metadata addresses are never allowed.
   */
  TRACKBRIDGE_ALLOWED_HOSTS: z.string().transform(parseAllowedHosts).optional(),
  /** How long a signed link to a hub file stays valid; links are signed again each time they are pushed. */
  FILE_LINK_TTL_SECONDS: z.coerce.number().int().min(60).default(7 * 24 * 3600),
  /** Test-only fault injection (honoured only with NODE_ENV=test), e.g. crash-after-remote-create. */
  TRACKBRIDGE_TEST_HOOKS: z.string().optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** True when the dev server must be started because no TEMPORAL_ADDRESS was given. */
  temporalManaged: boolean;
}

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}\n` +
        'See .env.example for every variable and its meaning.',
    );
    this.name = 'ConfigError';
  }
}

/** Parse the environment once; one error lists every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as docker-compose and shells often pass them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const cfg = parsed.data;
  const issues: { variable: string; message: string }[] = [];
  if (cfg.NODE_ENV === 'production' && !cfg.TRACKBRIDGE_SECRET_KEY) {
    issues.push({ variable: 'TRACKBRIDGE_SECRET_KEY', message: 'required in production' });
  }
  // A guessable key opens every sealed secret and forges file links: refuse it where it matters.
  const weakness = cfg.NODE_ENV === 'production' && cfg.TRACKBRIDGE_SECRET_KEY ? keyWeakness(decodeKey(cfg.TRACKBRIDGE_SECRET_KEY)!) : null;
  if (weakness) issues.push({ variable: 'TRACKBRIDGE_SECRET_KEY', message: `${weakness}; generate one with: openssl rand -base64 32` });
  if (Boolean(cfg.TEMPORAL_TLS_CERT_PATH) !== Boolean(cfg.TEMPORAL_TLS_KEY_PATH)) {
    issues.push({ variable: 'TEMPORAL_TLS_CERT_PATH', message: 'set both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH, or neither' });
  }
  if (issues.length) throw new ConfigError(issues);
  return { ...cfg, temporalManaged: !cfg.TEMPORAL_ADDRESS };
}

export function decodeKey(value: string): Buffer | null {
  const buf = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  return buf.length === 32 ? buf : null;
}

/** One entry of TRACKBRIDGE_ALLOWED_HOSTS: a host name, or an address range. */
export type AllowedDestination =
  | { kind: 'host'; host: string }
  | { kind: 'cidr'; address: string; prefix: number; family: 'ipv4' | 'ipv6' };

/** An address range: one entry of TRUSTED_PROXIES, or a CIDR of TRACKBRIDGE_ALLOWED_HOSTS. */
export type AddressRange = Extract<AllowedDestination, { kind: 'cidr' }>;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/;

/** "redmine.internal, 10.0.0.0/8, fd12::/16, 192.168.1.5" → entries; a bad one is a config error naming it. */
function parseAllowedHosts(value: string, ctx: z.RefinementCtx): AllowedDestination[] {
  const entries: AllowedDestination[] = [];
  for (const raw of value.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)) {
    const [address = '', prefixText, ...rest] = raw.replace(/^\[|\](?=\/|$)/g, '').split('/');
    const family = isIP(address);
    if (family && !rest.length) {
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
      if (prefix >= 0 && prefix <= max) {
        entries.push({ kind: 'cidr', address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' });
        continue;
      }
    } else if (prefixText === undefined && HOST_NAME.test(raw)) {
      entries.push({ kind: 'host', host: raw.replace(/\.$/, '') });
      continue;
    }
    ctx.addIssue({ code: 'custom', message: `"${raw}" is neither a host name, an address nor a CIDR range` });
  }
  return entries;
}

/** Addresses and CIDRs only: a proxy named by host name could be made to resolve anywhere. */
function parseTrustedProxies(value: string, ctx: z.RefinementCtx): AddressRange[] {
  const entries = parseAllowedHosts(value, ctx);
  for (const e of entries) if (e.kind === 'host') ctx.addIssue({ code: 'custom', message: `"${e.host}" is a name; give the proxy's address or CIDR range` });
  return entries.filter((e): e is AddressRange => e.kind === 'cidr');
}
