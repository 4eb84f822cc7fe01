import { Argument, Command, CommanderError, Option } from 'commander';
import { apiClient, DEFAULT_API_URL, type ApiOptions } from './api-client';
import { runConnector, type ConnectorOptions } from './connector';
import type { DryRunOptions } from './dry-run';
import { CliError, describeFailure, exitCodes, scrub } from './output';
import { registerPluginInit } from './plugin-init';
import { addServerCommands } from './server-commands';

/**
 * The trackbridge CLI: the server itself (start, api, worker, migrate, token, rotate-key), standalone
 * connector runs (no server, Temporal or database), a dry run of a binding's pull (database only),
 * and operator commands against a running API.
 * Modules behind a command are imported when it runs, so `connector` never loads pg or Temporal.
 */
function program(done: (code: number) => void): Command {
  const cli = new Command('trackbridge')
    .description('trackbridge: run the server, run connectors standalone, dry-run a pull, operate a running server')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Before any subcommand is added: subcommands copy it when created, so their usage errors throw too (exit 2).
    .exitOverride();

  const withApi = (command: Command) => command
    .addOption(new Option('--api <url>', `the API's base URL (env TRACKBRIDGE_API_URL, default ${DEFAULT_API_URL})`))
    .addOption(new Option('--token-file <path>', 'a file holding the API token (or env TRACKBRIDGE_TOKEN; never a flag)'));

  addServerCommands(cli, done);
  registerPluginInit(cli, done);

  cli.command('connector')
    .description('run an installed connector on its own: test the connection, list scopes, pull, get one item')
    .argument('<slug>', 'the connector, e.g. redmine or github')
    .addArgument(new Argument('<action>').choices(['test', 'scopes', 'pull', 'get']))
    .option('--config <file>', 'JSON {"config": {...}, "secrets": {...}}; secrets may come from the file env TRACKBRIDGE_SECRETS_FILE names instead')
    .option('--scope <scope>', 'pull/get: the scope (a Redmine project identifier, owner/repo on GitHub)')
    .option('--cursor <json>', 'pull: resume from this cursor (as a previous pull printed it)')
    .option('--id <remoteId>', 'get: the remote id of the item')
    .option('--ndjson', 'pull: print NDJSON even on a terminal')
    .option('--json', 'test/scopes: print JSON')
    .option('--dry-run', "pull: print the field-by-field decisions a pull would make under a binding's rules; writes nothing (needs DATABASE_URL)")
    .option('--binding <id>', 'pull --dry-run: the binding')
    .option('--full', 'pull --dry-run: list everything, not only what changed since the stored cursor')
    .option('--changes-only', 'pull --dry-run: leave out items where every field is kept')
    .action(async (slug: string, action: string, opts: ConnectorOptions & DryRunOptions & { dryRun?: boolean; binding?: string }) => {
      if (opts.dryRun || opts.binding) {
        if (action !== 'pull' || !opts.dryRun || !opts.binding) throw new CliError('--dry-run and --binding <id> go together, with pull', 'usage');
        const { dryRunPull } = await import('./dry-run');
        return done(await dryRunPull(opts.binding, { ...opts, slug }));
      }
      done(await runConnector(slug, action, opts));
    });

  withApi(cli.command('bindings')
    .description('list bindings with their state, status, next pull and backlog')
    .addArgument(new Argument('<action>').choices(['list']))
    .option('--project <id>', 'only this project')
    .option('--json', 'print JSON'))
    .action(async (_action: string, opts: ApiOptions & { project?: string; json?: boolean }) => {
      const { listBindingsCommand } = await import('./operator');
      done(await listBindingsCommand(apiClient(opts), opts));
    });

  withApi(cli.command('sync')
    .description('start the initial (or a full re-) sync of a binding')
    .argument('<bindingId>')
    .option('--follow', 'show its progress until it finishes'))
    .action(async (bindingId: string, opts: ApiOptions & { follow?: boolean }) => {
      const { startSyncCommand } = await import('./operator');
      done(await startSyncCommand(apiClient(opts), bindingId, opts));
    });

  withApi(cli.command('pull')
    .description('pull a binding now (or, with --dry-run, show what a pull would decide, reading the database)')
    .argument('<bindingId>')
    .option('--follow', 'show its progress until it finishes')
    .option('--dry-run', 'print the decisions a pull would make; writes nothing (needs DATABASE_URL, not the API)')
    .option('--full', '--dry-run: list everything, not only what changed since the stored cursor')
    .option('--cursor <json>', '--dry-run: list from this cursor')
    .option('--changes-only', '--dry-run: leave out items where every field is kept')
    .option('--json', '--dry-run: one JSON object per item'))
    .action(async (bindingId: string, opts: ApiOptions & DryRunOptions & { follow?: boolean; dryRun?: boolean }) => {
      if (opts.dryRun) {
        const { dryRunPull } = await import('./dry-run');
        return done(await dryRunPull(bindingId, opts));
      }
      const { triggerPullCommand } = await import('./operator');
      done(await triggerPullCommand(apiClient(opts), bindingId, opts));
    });

  withApi(cli.command('deadletters')
    .description("list, retry or drop a binding's dead letters")
    .addArgument(new Argument('<action>').choices(['list', 'retry', 'drop']))
    .argument('<bindingId>')
    .argument('[deadLetterId]', 'retry/drop: the dead letter')
    .option('--all', 'retry: every open dead letter')
    .option('--json', 'list: print JSON'))
    .action(async (action: string, bindingId: string, deadLetterId: string | undefined, opts: ApiOptions & { all?: boolean; json?: boolean }) => {
      const { deadLettersCommand } = await import('./operator');
      done(await deadLettersCommand(apiClient(opts), action, bindingId, deadLetterId, opts));
    });

  return cli;
}

/** Flushes stdout, then exits: open sockets (keep-alive, pacing timers) must not keep a finished command alive. */
function exit(code: number): never {
  process.stdout.write('', () => process.exit(code));
  return undefined as never;
}

async function main(argv: string[]): Promise<void> {
  // `trackbridge connector … pull | head` closes the pipe early: that is a normal end, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(0) : undefined));
  let code = 0;
  const cli = program((c) => void (code = c));
  try {
    await cli.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      exit(err.exitCode === 0 ? 0 : exitCodes.usage);
      return;
    }
    const { line, code: failed } = describeFailure(err);
    process.stderr.write(`${scrub(line)}\n`);
    if (process.env.TRACKBRIDGE_DEBUG && !(err instanceof CliError)) process.stderr.write(`${scrub(String((err as Error).stack))}\n`);
    exit(failed);
    return;
  }
  exit(code);
}

await main(process.argv);
