import { parseArgs } from 'node:util';
import pino from 'pino';
import { boot } from '../runtime/boot';
import { createLogger } from '../lib/logger';
import { openDatabase } from '../db/client';
import { TOKEN_ROLES, createApiToken, isTokenRole, listApiTokens, revokeApiToken } from '../db/tokens';

const USAGE = 'usage: npm run -s token -- create <name> [--role admin|read] | list | revoke <id>\n';

/**
 * `npm run -s token -- create <name> [--role read]`, `list`, `revoke <id>`. Only the token goes to
 * stdout, so `TOKEN=$(npm run -s token -- create ci)` captures it (-s keeps npm's banner out);
 * logs and notes go to stderr.
 */
const { config } = await boot();
const logger = createLogger(config, pino.destination(2));
const { positionals, values } = parseArgs({ allowPositionals: true, options: { role: { type: 'string', default: 'admin' } } });
const [command, arg, ...extra] = positionals;
const role = values.role;
if (!isTokenRole(role) || extra.length) {
  process.stderr.write(extra.length ? USAGE : `--role must be one of: ${TOKEN_ROLES.join(', ')}\n`);
  process.exit(2);
}

const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
await database.migrate();
try {
  if (command === 'create' && arg) {
    const { token } = await createApiToken(database.db, arg, role);
    process.stdout.write(`${token}\n`);
    if (process.stdout.isTTY) {
      process.stderr.write(`Token "${arg}" (${role}) created. It is not stored in plain text and cannot be shown again.\n`);
    }
  } else if (command === 'list') {
    for (const t of await listApiTokens(database.db)) {
      process.stdout.write(`${t.id}  ${t.prefix}…  ${t.role.padEnd(5)}  ${t.name}  ${t.createdAt.toISOString()}${t.revokedAt ? '  (revoked)' : ''}\n`);
    }
  } else if (command === 'revoke' && arg) {
    // An id from `list`; anything else cannot name a token (and would be a database error).
    const ok = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(arg) && (await revokeApiToken(database.db, arg));
    process.stdout.write(ok ? 'revoked\n' : 'no such active token\n');
    process.exitCode = ok ? 0 : 1;
  } else {
    process.stderr.write(USAGE);
    process.exitCode = 2;
  }
} finally {
  await database.close();
}
