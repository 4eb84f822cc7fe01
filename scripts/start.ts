import { serveAllInOne } from '../runtime/serve';

/**
 * `npm start`: everything in one process for a laptop, through tsx for contributors; an installed
 * package runs the same as `trackbridge start` (runtime/serve.ts).
 */
process.exit(await serveAllInOne());
