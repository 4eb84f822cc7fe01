import { boot, isPostgresUnreachable, isTemporalUnreachable, requireDatabaseUrl, whenReachable } from '../runtime/boot';
import { openCore } from '../runtime/context';
import { ensureFirstToken, onShutdown, startApiServer } from '../runtime/runtime';
import { connectClient } from '../runtime/temporal';

/** `npm run api`: the HTTP API alone (production shape). */
const { config, logger } = await boot();
requireDatabaseUrl(config, 'The API');
const core = await whenReachable('Postgres', () => openCore(config, logger), { logger, unreachable: isPostgresUnreachable });
await ensureFirstToken(core, { dataDir: config.DATA_DIR, logger });
const temporal = await whenReachable('Temporal', () => connectClient(config), { logger, unreachable: isTemporalUnreachable });
const server = await startApiServer(config, core, temporal, logger);
onShutdown(logger, async () => {
  await new Promise((r) => server.close(r));
  await temporal.connection.close();
  await core.database.close();
});
