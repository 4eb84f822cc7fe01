import { boot, isPostgresUnreachable, requireDatabaseUrl, whenReachable } from '../runtime/boot';
import { openCore } from '../runtime/context';
import { onShutdown, startWorker } from '../runtime/runtime';

/** `npm run worker`: the Temporal worker alone (production shape). */
const { config, logger } = await boot();
requireDatabaseUrl(config, 'The worker');
const core = await whenReachable('Postgres', () => openCore(config, logger), { logger, unreachable: isPostgresUnreachable });
const { worker, done } = await startWorker(config, core, logger);
onShutdown(logger, async () => {
  worker.shutdown();
  await done;
  await core.database.close();
});
await done;
