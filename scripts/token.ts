import { boot } from '../lib/boot';
import { openDatabase } from '../db/client';
import { createApiToken, listApiTokens, revokeApiToken } from '../db/tokens';

/** `npm run token -- create <name> | list | revoke <id>` */
const { config, logger } = boot();
const [command, arg] = process.argv.slice(2);
const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, logger });
await database.migrate();
try {
  if (command === 'create' && arg) {
    const { token } = await createApiToken(database.db, arg);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`Token "${arg}" created. It is not stored in plain text and cannot be shown again.\n`);
  } else if (command === 'list') {
    for (const t of await listApiTokens(database.db)) {
      process.stdout.write(`${t.id}  ${t.prefix}…  ${t.name}  ${t.createdAt.toISOString()}${t.revokedAt ? '  (revoked)' : ''}\n`);
    }
  } else if (command === 'revoke' && arg) {
    const ok = await revokeApiToken(database.db, arg);
    process.stdout.write(ok ? 'revoked\n' : 'no such active token\n');
    process.exitCode = ok ? 0 : 1;
  } else {
    process.stderr.write('usage: npm run token -- create <name> | list | revoke <id>\n');
    process.exitCode = 2;
  }
} finally {
  await database.close();
}
