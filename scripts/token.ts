import { parseArgs } from 'node:util';
import { manageTokens } from '../runtime/admin';
import { TOKEN_ROLES, isTokenRole } from '../db/tokens';

const USAGE = 'usage: npm run -s token -- create <name> [--role admin|read] | list | revoke <id>\n';

/**
 * `npm run -s token -- create <name> [--role read]`, `list`, `revoke <id>`, as `trackbridge token`.
 * Only the token goes to stdout, so `TOKEN=$(npm run -s token -- create ci)` captures it (-s keeps
 * npm's banner out); logs and notes go to stderr.
 */
const { positionals, values } = parseArgs({ allowPositionals: true, options: { role: { type: 'string', default: 'admin' } } });
const [command, arg, ...extra] = positionals;
const role = values.role;
if (!isTokenRole(role)) {
  process.stderr.write(`--role must be one of: ${TOKEN_ROLES.join(', ')}\n`);
  process.exit(2);
}
if (command === 'create' && arg && !extra.length) process.exitCode = await manageTokens({ action: 'create', name: arg, role });
else if (command === 'list' && !extra.length) process.exitCode = await manageTokens({ action: 'list' });
else if (command === 'revoke' && arg && !extra.length) process.exitCode = await manageTokens({ action: 'revoke', id: arg });
else {
  process.stderr.write(USAGE);
  process.exitCode = 2;
}
