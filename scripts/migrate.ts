import { migrateDatabase } from '../runtime/admin';

/** `npm run migrate`: applies the committed SQL migrations (the app also does this on start), as `trackbridge migrate`. */
process.exitCode = await migrateDatabase();
