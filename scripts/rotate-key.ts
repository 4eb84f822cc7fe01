import { rotateSecretKey } from '../runtime/admin';

/**
 * `npm run -s rotate-key < old.key`, as `trackbridge rotate-key`: seals every stored secret under the
 * configured TRACKBRIDGE_SECRET_KEY, reading the old key from stdin (see runtime/admin.ts).
 */
process.exitCode = await rotateSecretKey('npm run -s rotate-key < old.key');
