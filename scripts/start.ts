import { boot, isPostgresUnreachable, isTemporalUnreachable, whenReachable } from '../runtime/boot';
import { openCore } from '../runtime/context';
import { startDevServer, type DevServer } from '../runtime/dev-server';
import { ensureFirstToken, onShutdown, startApiServer, startWorker } from '../runtime/runtime';
import { connectClient } from '../runtime/temporal';
import { resolveTemporalCli } from '../runtime/temporal-cli';

/**
 * `npm start`: everything in one process for a laptop: the Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), the database (embedded unless DATABASE_URL is set), the worker and the API.
 */
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
onShutdown(logger, async () => {
  await new Promise((r) => server.close(r));
  worker.shutdown();
  await done;
  await temporal.connection.close();
  await core.database.close();
  await dev?.stop();
});
