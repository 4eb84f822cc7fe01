import { Argument, type Command } from 'commander';
import { CliError } from './output';

/**
 * The server's own commands: `start` is what `npm start` runs in a checkout, `api` and `worker` the
 * production processes, then `migrate`, `token` and `rotate-key`. Their configuration is the
 * environment, as for the npm scripts (see the README). Each module loads when its command runs.
 */
export function addServerCommands(cli: Command, done: (code: number) => void): void {
  cli.command('start')
    .description('everything in one process: a Temporal dev server (unless TEMPORAL_ADDRESS is set), the database (embedded unless DATABASE_URL is set), the worker and the API')
    .action(async () => done(await (await import('../runtime/serve')).serveAllInOne()));

  cli.command('api')
    .description('the HTTP API and console alone (needs DATABASE_URL and a Temporal server)')
    .action(async () => done(await (await import('../runtime/serve')).serveApi()));

  cli.command('worker')
    .description('the Temporal worker alone (needs DATABASE_URL and a Temporal server)')
    .action(async () => done(await (await import('../runtime/serve')).serveWorker()));

  cli.command('migrate')
    .description('apply the database migrations (the API and the worker also do this on start)')
    .action(async () => done(await (await import('../runtime/admin')).migrateDatabase()));

  cli.command('token')
    .description('create, list or revoke API tokens; `create` prints only the token, so TOKEN=$(trackbridge token create ci) captures it')
    .addArgument(new Argument('<action>').choices(['create', 'list', 'revoke']))
    .argument('[nameOrId]', 'create: the token\'s name; revoke: its id (from list)')
    .option('--role <role>', 'create: admin (everything) or read (reads only)', 'admin')
    .action(async (action: string, nameOrId: string | undefined, opts: { role: string }) => {
      const [{ manageTokens }, { TOKEN_ROLES, isTokenRole }] = await Promise.all([import('../runtime/admin'), import('../db/tokens')]);
      if (!isTokenRole(opts.role)) throw new CliError(`--role must be one of: ${TOKEN_ROLES.join(', ')}`, 'usage');
      if (action === 'list') return done(await manageTokens({ action }));
      if (!nameOrId) throw new CliError(`token ${action} needs ${action === 'create' ? 'a name' : 'an id'}`, 'usage');
      done(await manageTokens(action === 'create' ? { action, name: nameOrId, role: opts.role } : { action: 'revoke', id: nameOrId }));
    });

  cli.command('rotate-key')
    .description('seal every stored secret under the configured TRACKBRIDGE_SECRET_KEY, reading the old key from stdin; stop the API and the worker first')
    .action(async () => done(await (await import('../runtime/admin')).rotateSecretKey('trackbridge rotate-key < old.key')));
}
