import type { Json, PullPage } from '../connectors/types';
import { connectStandalone, cliLogger, installedConnector } from './connect';
import { loadConnectionFile } from './connector-config';
import { CliError, note, printJson, printLine, table, writeOut } from './output';
import { itemsBar } from './progress';

export interface ConnectorOptions {
  config?: string;
  scope?: string;
  cursor?: string;
  id?: string;
  json?: boolean;
  ndjson?: boolean;
}

const need = (value: string | undefined, flag: string, action: string): string => {
  if (!value) throw new CliError(`${action} needs ${flag}`, 'usage');
  return value;
};

function parseCursor(text: string | undefined): Json | null {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new CliError('--cursor must be JSON (a cursor as a previous pull printed it)', 'usage');
  }
}

/** `trackbridge connector <slug> test|scopes|pull|get --config <file>`: no server, Temporal or database. */
export async function runConnector(slug: string, action: string, opts: ConnectorOptions): Promise<number> {
  const definition = await installedConnector(slug);
  const { config, secrets } = loadConnectionFile(need(opts.config, '--config <file>', action));
  const client = connectStandalone(definition, { config, secrets, logger: cliLogger() });
  switch (action) {
    case 'test': {
      const result = await client.testConnection();
      if (opts.json) await printJson(result);
      else await printLine(`${result.ok ? 'ok' : 'not ok'}: ${result.message}`);
      return result.ok ? 0 : 1;
    }
    case 'scopes': {
      const groups = await client.listScopes();
      if (opts.json) await printJson(groups);
      else await printLine(table(['GROUP', 'SCOPE', 'NAME'], groups.flatMap((g) => g.scopes.map((s) => [g.group, s.id, s.name]))));
      return 0;
    }
    case 'get': {
      const scope = need(opts.scope, '--scope <scope>', 'get');
      const item = await client.getItem(scope, need(opts.id, '--id <remoteId>', 'get'));
      if (!item) throw new CliError(`no item ${opts.id} in ${scope}`, 'permanent');
      await printJson(item);
      return 0;
    }
    case 'pull':
      return pull(client.pull(need(opts.scope, '--scope <scope>', 'pull'), parseCursor(opts.cursor)), opts);
    default:
      throw new CliError(`unknown action "${action}" (test, scopes, pull, get)`, 'usage');
  }
}

/**
 * Streams a pull: NDJSON, one RemoteItem per line, when stdout is a pipe or a file (or with --ndjson);
 * on a terminal a progress bar with items/s, then a summary. The cursor to resume from goes to stderr.
 */
async function pull(pages: AsyncIterable<PullPage>, opts: ConnectorOptions): Promise<number> {
  const ndjson = opts.ndjson === true || !process.stdout.isTTY;
  const started = Date.now();
  const bar = ndjson ? undefined : itemsBar('pulling');
  let items = 0;
  let pageCount = 0;
  let last: PullPage | undefined;
  try {
    for await (const page of pages) {
      pageCount++;
      last = page;
      items += page.items.length;
      if (ndjson) for (const item of page.items) await writeOut(`${JSON.stringify(item)}\n`);
      else bar?.update(items, page.total);
    }
  } finally {
    bar?.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  const cursor = last?.watermark ?? last?.next ?? null;
  const summary = `${items} items in ${pageCount} pages, ${seconds.toFixed(1)} s (${(items / Math.max(seconds, 0.001)).toFixed(0)} items/s)${last?.notModified ? ', not modified since the cursor' : ''}`;
  if (ndjson) {
    note(`# ${summary}`);
    note(`# next cursor: ${JSON.stringify(cursor)}`);
  } else {
    await printLine(summary);
    await printLine(`next cursor: ${JSON.stringify(cursor)}`);
  }
  return 0;
}
