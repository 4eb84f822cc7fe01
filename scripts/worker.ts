import { serveWorker } from '../runtime/serve';

/** `npm run worker`: the Temporal worker alone (production shape), as `trackbridge worker`. */
process.exit(await serveWorker());
