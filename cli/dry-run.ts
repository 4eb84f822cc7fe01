import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq, inArray } from 'drizzle-orm';
import type { Json, RemoteItem } from '../connectors/types';
import { destinationPolicy } from '../connectors/http/destination';
import { getBindingWithConnector, type Binding } from '../db/bindings';
import { openDatabase, type Db } from '../db/client';
import type { Snapshot } from '../db/fields';
import { hubView, projectKey } from '../db/rules';
import { connections, externalLinks, stories } from '../db/schema';
import { loadConfig, type Config } from '../lib/config';
import { createSecretBox, type SecretBox } from '../lib/crypto';
import { loadSecretKey } from '../lib/secret-key';
import { effectiveRules, type EffectiveRules } from '../rules';
import type { Value } from '../rules/values';
import { cliLogger, connectStandalone, installedConnector } from './connect';
import { explainPull, type FieldExplanation } from './explain';
import { CliError, note, printLine, table } from './output';
import { connectorSecretsOf } from '../lib/connection-secrets';

export interface DryRunOptions {
  /** The connector named on the command line (`connector <slug> pull`), checked against the binding's. */
  slug?: string;
  cursor?: string;
  /** List everything, not only what changed since the binding's stored cursor. */
  full?: boolean;
  json?: boolean;
  /** Leave out items where every field is kept. */
  changesOnly?: boolean;
}

/** What one item of the dry run reports. */
export interface ItemReport {
  remoteId: string;
  key: string;
  /** The linked hub story, or "new" (a story the pull would create; "inbox" under a review import policy). */
  storyId: string;
  fields: FieldExplanation[];
  messages: string[];
  warnings: string[];
}

/** The key the server seals secrets with: never generated here, since a new key opens nothing. */
function secretBox(config: Config): SecretBox {
  if (!config.TRACKBRIDGE_SECRET_KEY && !existsSync(join(config.DATA_DIR, 'secret.key'))) {
    throw new CliError(`no secret key: set TRACKBRIDGE_SECRET_KEY (or DATA_DIR to the server's, holding secret.key) to open the connection's secrets`, 'usage');
  }
  return createSecretBox(loadSecretKey(config, cliLogger()));
}

/** The database URL with every transaction read only: the dry run cannot write even by mistake. */
function readOnlyUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `${u.searchParams.get('options') ?? ''} -c default_transaction_read_only=on`.trim());
  return u.toString();
}

/**
 * `pull --dry-run --binding <id>`: lists the remote as the binding's next pull would (from its stored
 * cursor, or everything with --full) and prints, for every item, the field-by-field decisions under
 * the binding's rules. Reads the database; writes nothing there or on the remote; needs no Temporal.
 */
export async function dryRunPull(bindingId: string, opts: DryRunOptions): Promise<number> {
  const config = loadConfig(process.env);
  if (!config.DATABASE_URL) throw new CliError('the dry run reads the binding from the database: set DATABASE_URL (the one the server uses)', 'usage');
  const database = await openDatabase({ url: readOnlyUrl(config.DATABASE_URL), dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    const db = database.db;
    const row = /^[0-9a-f-]{36}$/i.test(bindingId) ? await getBindingWithConnector(db, bindingId) : undefined;
    if (!row || row.binding.state === 'deleted') throw new CliError(`no binding ${bindingId}`, 'usage');
    if (opts.slug && opts.slug !== row.connector) throw new CliError(`binding ${bindingId} is a ${row.connector} binding, not ${opts.slug}`, 'usage');
    const [connection] = await db.select().from(connections).where(eq(connections.id, row.binding.connectionId));
    if (!connection) throw new CliError(`the connection of binding ${bindingId} is gone`, 'permanent');
    let secrets: unknown;
    try {
      secrets = connectorSecretsOf(secretBox(config).open(connection.secretsSealed));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError("cannot open the connection's secrets with this key: is TRACKBRIDGE_SECRET_KEY the server's?", 'usage');
    }
    const client = connectStandalone(await installedConnector(row.connector), { config: connection.config, secrets, logger: cliLogger(), destinations: destinationPolicy(config) });
    const rules = effectiveRules(row.binding.rules, row.connector);
    const cursor = opts.cursor !== undefined ? parseCursor(opts.cursor) : opts.full ? null : ((row.binding.pullCursor ?? null) as Json | null);
    const key = await projectKey(db, row.binding.projectId);
    const totals = { items: 0, new: 0, changed: 0, conflicts: 0 };
    for await (const page of client.pull(row.binding.scope, cursor)) {
      for (const report of await explainPage(db, row.binding, rules, key, page.items)) {
        const changed = report.fields.some((f) => f.decision !== 'keep') || report.messages.length > 0;
        totals.items++;
        if (report.storyId === 'new' || report.storyId === 'inbox') totals.new++;
        if (changed) totals.changed++;
        totals.conflicts += report.fields.filter((f) => f.decision === 'conflict').length;
        if (opts.changesOnly && !changed) continue;
        await (opts.json ? printLine(JSON.stringify(report)) : printReport(report));
      }
    }
    const summary = `dry run: ${totals.items} items listed (${cursor === null ? 'full listing' : 'from the cursor'}), ${totals.new} new, ${totals.changed} with changes, ${totals.conflicts} conflicting fields; nothing was written`;
    if (opts.json) note(`# ${summary}`);
    else await printLine(summary);
    return 0;
  } finally {
    await database.close();
  }
}

function parseCursor(text: string): Json | null {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new CliError('--cursor must be JSON', 'usage');
  }
}

/** One page: its items' links and stories in two queries, then each item explained. */
async function explainPage(db: Db, binding: Binding, rules: EffectiveRules, key: string, items: RemoteItem[]): Promise<ItemReport[]> {
  if (!items.length) return [];
  const links = await db.select().from(externalLinks)
    .where(and(eq(externalLinks.bindingId, binding.id), inArray(externalLinks.remoteId, items.map((i) => i.remoteId))));
  const byRemote = new Map(links.map((l) => [l.remoteId, l]));
  const storyRows = links.length ? await db.select().from(stories).where(inArray(stories.id, links.map((l) => l.storyId))) : [];
  const byStory = new Map(storyRows.map((s) => [s.id, s]));
  return items.map((item) => {
    const link = byRemote.get(item.remoteId);
    const story = link ? byStory.get(link.storyId) : undefined;
    const explained = explainPull(rules, {
      hub: story ? hubView(story, key) : null, remote: item, snapshot: (link?.snapshot as Snapshot | null | undefined) ?? null, hubUpdatedAt: story?.updatedAt.toISOString(),
    });
    const storyId = link ? link.storyId : binding.importPolicy === 'review' ? 'inbox' : 'new';
    return { remoteId: item.remoteId, key: item.key, storyId, ...explained };
  });
}

function show(value: Value | null): string {
  if (value === null) return '-';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value);
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  if ('closed' in value && typeof value.closed === 'boolean') return `${JSON.stringify(value.status)} (${value.closed ? 'closed' : 'open'})`;
  return JSON.stringify(value);
}

async function printReport(report: ItemReport): Promise<void> {
  await printLine(`${report.key} (remote ${report.remoteId}) → story ${report.storyId}`);
  const rows = report.fields.map((f) => [
    f.field === f.remoteField ? f.field : `${f.field} ← ${f.remoteField}`, show(f.base), show(f.hub), show(f.remote),
    f.resolution ? `${f.decision} (${f.resolution})` : f.decision, f.rule,
  ]);
  await printLine(table(['FIELD', 'BASE', 'HUB', 'REMOTE', 'DECISION', 'RULE'], rows).replace(/^/gm, '  '));
  for (const m of report.messages) await printLine(`  + comment: ${JSON.stringify(m.length > 80 ? `${m.slice(0, 79)}…` : m)}`);
  for (const w of report.warnings) await printLine(`  ! ${w}`);
  await printLine();
}
