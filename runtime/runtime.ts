import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createApp } from '../api/app';
import { withConsole } from '../console';
import { countApiTokens, createApiToken } from '../db/tokens';
import { installedConnectors, getConnector } from '../plugins/registry';
import { destinationPolicy } from '../connectors/http/destination';
import type { Config } from '../lib/config';
import type { Core } from './context';
import { connectClient, connectWorker } from './temporal';
import { createWorker, findWorkflowBundle } from './worker';
import { installTemporalRuntime } from './temporal-runtime';
import { startOutboxRelay } from '../sync/outbox-relay';
import { migratePullSchedules } from '../temporal/schedules';
import { temporalControl } from './temporal-control';
import { getBinding } from '../db/bindings';
import { getConnection } from '../db/connections';
import { databaseReadings } from '../db/metrics';
import { registerDatabaseGauges, registry } from '../lib/metrics';
import { summarizeError } from '../lib/error-summary';
import { isTemporalUnreachable, whenReachable } from './boot';

/**
 * On a first start there is no way to call the API, so one admin token is created. It is shown
 * only on an interactive terminal; otherwise (a service, a container) stdout ends up in collected
 * logs, so the token goes to a 0600 file under DATA_DIR and only that path is logged.
 */
export async function ensureFirstToken(
  core: Core,
  opts: { dataDir: string; logger: Logger; terminal?: { isTTY?: boolean; write(text: string): unknown } },
): Promise<void> {
  if ((await countApiTokens(core.database.db)) > 0) return;
  const { token } = await createApiToken(core.database.db, 'admin', 'admin');
  const terminal = opts.terminal ?? process.stdout;
  if (terminal.isTTY) {
    terminal.write(
      '\n  ┌─ First start: an admin API token was created. It is shown only this once.\n' +
        `  │  ${token}\n` +
        '  │  Use it as: Authorization: Bearer <token>. More: npx trackbridge token create <name> [--role read]\n' +
        '  └─\n',
    );
    return;
  }
  const file = resolve(opts.dataDir, FIRST_TOKEN_FILE);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // A file left from an earlier database may have other permissions: the mode applies on creation only.
  rmSync(file, { force: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  opts.logger.warn({ file }, 'first start: an admin API token was written to this file (mode 0600); read it, then delete the file');
}

/** Where a non-interactive first start leaves the admin token, under DATA_DIR. */
export const FIRST_TOKEN_FILE = 'admin-token';

export async function startApiServer(config: Config, core: Core, temporal: Client, logger: Logger): Promise<ServerType> {
  const app = createApp({
    db: core.database.db,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    connectors: installedConnectors(),
    secretBox: core.secretBox,
    logger,
    destinations: destinationPolicy(config),
    ...(config.TRUSTED_PROXIES ? { trustedProxies: config.TRUSTED_PROXIES } : {}),
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    // Plain http on a laptop: the browser would drop a Secure cookie there.
    session: { secureCookie: config.NODE_ENV !== 'development' },
    checks: {
      database: () => core.database.ping(),
      temporal: async () => void (await temporal.workflowService.getSystemInfo({})),
      listeners: () => core.database.listeners(),
    },
    limits: {
      bodyBytes: config.API_BODY_LIMIT_BYTES, uploadBytes: config.UPLOAD_LIMIT_BYTES,
      ratePerMinute: config.RATE_LIMIT_PER_MINUTE, authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE, requestTimeoutMs: config.API_REQUEST_TIMEOUT_MS, temporalCallMs: config.TEMPORAL_CALL_TIMEOUT_MS,
    },
  });
  // Deliberate limits instead of Node's defaults (5 min per request, headers checked every 30 s, no cap
  // on sockets): a client sending slowly, or opening sockets without end, is cut off.
  const temporalUiUrl = config.TEMPORAL_UI_URL ?? (config.temporalManaged ? `http://localhost:${config.TEMPORAL_UI_PORT}` : undefined);
  const server = withConsole(app, { temporalNamespace: config.TEMPORAL_NAMESPACE, ...(temporalUiUrl ? { temporalUiUrl } : {}) });
  const serverOptions = {
    requestTimeout: config.API_REQUEST_TIMEOUT_MS,
    headersTimeout: Math.min(config.API_REQUEST_TIMEOUT_MS, 10_000),
    connectionsCheckingInterval: 1_000,
  };
  return new Promise((resolve) => {
    const listening = serve({ fetch: server.fetch, port: config.PORT, hostname: config.HOST, serverOptions }, (info) => {
      logger.info({ port: info.port }, `API listening on http://localhost:${info.port} (docs: /docs, console: /ui)`);
      resolve(listening);
    });
    listening.maxConnections = config.API_MAX_CONNECTIONS;
  });
}

/**
 * V8 lets its old generation grow to several times what the last major collection kept, and a sync
 * allocates fast (each page of issues is parsed, mapped, sent and dropped): over an initial sync of
 * 100,000 issues the worker's RSS climbed from 400 to 640 MiB with little of it live, so a longer sync
 * looked like a bigger one (P4 1.35x). Growing the heap by half of what survived keeps it flat (P4
 * 1.03x, throughput unchanged within noise). A `--heap-growing-percent` given to node wins.
 */
export const HEAP_GROWING_PERCENT = 50;

function boundHeapGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

export async function startWorker(config: Config, core: Core, logger: Logger): Promise<{ worker: Worker; done: Promise<void> }> {
  boundHeapGrowth();
  installTemporalRuntime(logger);
  const connection = await whenReachable('Temporal', () => connectWorker(config), { logger, unreachable: isTemporalUnreachable });
  const temporal = await whenReachable('Temporal', () => connectClient(config), { logger, unreachable: isTemporalUnreachable });
  const workflowBundle = findWorkflowBundle(config.TEMPORAL_WORKFLOW_BUNDLE);
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: {
      db: core.database.db, withLock: core.database.withLock, secretBox: core.secretBox, getConnector, logger, temporal: temporalControl(temporal),
      hooks: testHooks(config, logger), publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
      fileLinkTtlSeconds: config.FILE_LINK_TTL_SECONDS, destinations: destinationPolicy(config),
      deletionSweepMinutes: config.DELETION_SWEEP_MINUTES,
    },
    logger,
    ...(workflowBundle ? { workflowBundle: { codePath: workflowBundle } } : {}),
  });
  const relay = await startOutboxRelay({ database: core.database, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger, pollMs: config.OUTBOX_POLL_MS,
    retention: { hookRuns: config.HOOK_RUN_RETENTION_DAYS, jobs: config.JOB_RETENTION_DAYS, outbox: config.OUTBOX_RETENTION_DAYS, explain: config.EXPLAIN_RETENTION_DAYS },
  });
  const metrics = config.METRICS_PORT ? await serveMetrics(core, config.METRICS_HOST, config.METRICS_PORT, logger) : undefined;
  // Bindings made by an earlier version pulled on a Temporal Schedule: they move to pull timers.
  void migratePullSchedules(temporal, config.TEMPORAL_TASK_QUEUE, async (id) => {
    const binding = await getBinding(core.database.db, id);
    const connector = binding && (await getConnection(core.database.db, binding.connectionId))?.connector;
    return binding && connector && binding.state !== 'deleted'
      ? { id, projectId: binding.projectId, connector, pullIntervalSeconds: binding.pullIntervalSeconds, paused: binding.state === 'paused' }
      : null;
  }).then(
    (moved) => moved && logger.info({ moved }, 'pull schedules moved to pull timers'),
    (err: unknown) => logger.warn({ err: summarizeError(err) }, 'moving pull schedules to pull timers failed; the next boot tries again'),
  );
  const done = worker.run().finally(async () => {
    await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
    await relay.stop();
    await temporal.connection.close();
    await connection.close();
  });
  const shutdown = worker.shutdown.bind(worker);
  // Idempotent: a second signal or an SDK-initiated stop must not make shutdown throw.
  worker.shutdown = () => {
    if (worker.getState() === 'RUNNING') shutdown();
  };
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  return { worker, done };
}

/**
 * A worker on its own serves its metrics (remote requests, pulls, pushes: counted in this process)
 * on a port of its own, without a token: bind it to an address only Prometheus reaches.
 */
async function serveMetrics(core: Core, host: string, port: number, logger: Logger): Promise<Server> {
  registerDatabaseGauges(databaseReadings(core.database.db));
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.warn({ err: summarizeError(err) }, 'metrics collection failed');
        res.writeHead(503).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  logger.info({ host, port }, 'worker metrics on /metrics');
  return server;
}

/** Fault injection for the crash tests, honoured only with NODE_ENV=test. */
function testHooks(config: Config, logger: Logger) {
  const hooks = new Set((config.TRACKBRIDGE_TEST_HOOKS ?? '').split(',').filter(Boolean));
  if (config.NODE_ENV !== 'test' || !hooks.size) return {};
  logger.warn({ hooks: [...hooks] }, 'test hooks enabled');
  const crash = () => process.kill(process.pid, 'SIGKILL');
  return {
    ...(hooks.has('crash-after-remote-create') ? { afterRemoteCreate: crash } : {}),
    ...(hooks.has('crash-after-remote-comment') ? { afterRemoteComment: crash } : {}),
  };
}
