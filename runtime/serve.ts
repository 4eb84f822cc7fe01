import type { Logger } from 'pino';
import { boot, isPostgresUnreachable, isTemporalUnreachable, requireDatabaseUrl, whenReachable } from './boot';
import { openCore } from './context';
import { startDevServer, type DevServer } from './dev-server';
import { ensureFirstToken, startApiServer, startWorker } from './runtime';
import { connectClient } from './temporal';
import { resolveTemporalCli } from './temporal-cli';

/**
 * The server's processes, behind both `trackbridge start|api|worker` and `npm start|run api|run worker`.
 * Each resolves with the exit code once it has stopped and closed what it opened.
 */

/**
 * Everything in one process for a laptop: the Temporal dev server (unless TEMPORAL_ADDRESS is set),
 * the database (embedded unless DATABASE_URL is set), the worker and the API.
 */
export async function serveAllInOne(): Promise<number> {
  const { config, logger } = await boot();
  let dev: DevServer | undefined;
  if (config.temporalManaged) {
    const cli = await resolveTemporalCli({ logger });
    dev = await startDevServer({ cli, dataDir: config.DATA_DIR, port: config.TEMPORAL_DEV_PORT, uiPort: config.TEMPORAL_UI_PORT, logger });
  }
  const core = await whenReachable('Postgres', () => openCore(config, logger), { logger, unreachable: isPostgresUnreachable });
  await ensureFirstToken(core, { dataDir: config.DATA_DIR, logger });
  const temporal = await whenReachable('Temporal', () => connectClient(config), { logger, unreachable: isTemporalUnreachable });
  const { worker, done } = await startWorker(config, core, logger);
  const server = await startApiServer(config, core, temporal, logger);
  logger.info(
    { api: `http://localhost:${config.PORT}`, docs: `http://localhost:${config.PORT}/docs`, temporalUi: dev?.uiUrl ?? '(your cluster)' },
    'trackbridge is up',
  );
  return untilShutdown(logger, async () => {
    await new Promise((r) => server.close(r));
    worker.shutdown();
    await settled(done);
    await temporal.connection.close();
    await core.database.close();
    await dev?.stop();
  }, done);
}

/** The HTTP API alone (production shape). */
export async function serveApi(): Promise<number> {
  const { config, logger } = await boot();
  requireDatabaseUrl(config, 'The API');
  const core = await whenReachable('Postgres', () => openCore(config, logger), { logger, unreachable: isPostgresUnreachable });
  await ensureFirstToken(core, { dataDir: config.DATA_DIR, logger });
  const temporal = await whenReachable('Temporal', () => connectClient(config), { logger, unreachable: isTemporalUnreachable });
  const server = await startApiServer(config, core, temporal, logger);
  return untilShutdown(logger, async () => {
    await new Promise((r) => server.close(r));
    await temporal.connection.close();
    await core.database.close();
  });
}

/** The Temporal worker alone (production shape). */
export async function serveWorker(): Promise<number> {
  const { config, logger } = await boot();
  requireDatabaseUrl(config, 'The worker');
  const core = await whenReachable('Postgres', () => openCore(config, logger), { logger, unreachable: isPostgresUnreachable });
  const { worker, done } = await startWorker(config, core, logger);
  return untilShutdown(logger, async () => {
    worker.shutdown();
    await settled(done);
    await core.database.close();
  }, done);
}

/** untilShutdown watches the worker's own end and reports its failure; stopping only waits for it. */
const settled = (running: Promise<void>) => running.then(() => undefined, () => undefined);

/**
 * Runs `stop` once, on SIGINT/SIGTERM or when the worker (`running`) ends by itself, and resolves
 * with the exit code: 1 if the worker failed or stopping did. A second signal exits at once.
 */
export function untilShutdown(logger: Logger, stop: () => Promise<void>, running?: Promise<void>): Promise<number> {
  let code = 0;
  let stopping: Promise<number> | undefined;
  const shutDown = () => (stopping ??= stop().then(() => code, (err: unknown) => {
    logger.error({ err }, 'shutdown failed');
    return 1;
  }));
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      logger.info({ signal }, 'shutting down');
      void shutDown().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    running?.then(
      () => {
        if (stopping) return;
        logger.warn('the worker stopped on its own; shutting down');
        void shutDown().then(resolve);
      },
      (err: unknown) => {
        code = 1;
        logger.error({ err }, 'the worker failed; shutting down');
        void shutDown().then(resolve);
      },
    );
  });
}
