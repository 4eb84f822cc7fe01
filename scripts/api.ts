import { serveApi } from '../runtime/serve';

/** `npm run api`: the HTTP API alone (production shape), as `trackbridge api`. */
process.exit(await serveApi());
