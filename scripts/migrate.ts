import { boot } from '../runtime/boot';
import { openDatabase } from '../db/client';

/** `npm run migrate`: applies the committed SQL migrations (the app also does this on start). */
const { config, logger } = await boot();
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
await database.migrate();
logger.info({ database: database.kind }, 'migrations applied');
await database.close();
