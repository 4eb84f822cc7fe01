import { boot, requireDatabaseUrl } from '../lib/boot';
import { openCore } from '../lib/context';
import { onShutdown, startWorker } from '../lib/runtime';

/** `npm run worker`: the Temporal worker alone (production shape). */
const { config, logger } = boot();
requireDatabaseUrl(config, 'The worker');
const core = await openCore(config, logger);
const { worker, done } = await startWorker(config, core, logger);
onShutdown(logger, async () => {
  worker.shutdown();
  await done;
  await core.database.close();
});
await done;
