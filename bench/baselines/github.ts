import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { toRemoteItem, type GitHubIssue } from '../../connectors/github/mapping';
import { parseLinkHeader } from '../../connectors/http/paginate';
import type { RemoteItem } from '../../connectors/types';
import { diffFields } from '../../db/fields';
import { applyRemotePage } from '../../sync/pull';
import { bindings, connections, projects } from '../../db/schema';
import type { BenchDatabase } from '../env';

export interface GitHubSource {
  url: string;
  token: string;
  repo: string;
}

export interface FetchedPage {
  items: RemoteItem[];
  /** Request, download and JSON parse of this page. */
  ms: number;
}

/** The same listing trackbridge asks for (oldest update first, 100 a page), following Link. */
export async function* fetchIssuePages(source: GitHubSource): AsyncGenerator<FetchedPage> {
  let next: string | undefined = `${source.url}/repos/${source.repo}/issues?state=all&sort=updated&direction=asc&per_page=100`;
  const headers = { authorization: `Bearer ${source.token}`, accept: 'application/vnd.github+json' };
  while (next) {
    const started = performance.now();
    const res = await fetch(next, { headers });
    if (!res.ok) throw new Error(`GET ${next} → ${res.status}`);
    const issues = (await res.json()) as GitHubIssue[];
    const ms = performance.now() - started;
    next = parseLinkHeader(res.headers.get('link')).next;
    // The same mapping trackbridge applies, so both sides write identical rows.
    yield { items: issues.filter((i) => !i.pull_request).map((i) => toRemoteItem(i, source.repo)), ms };
  }
}

export interface BaselineResult {
  items: number;
  pages: number;
  wallMs: number;
  fetchMs: number;
  writeMs: number;
  projectId: string;
}

const storyColumns = 'id uuid, title text, description text, status text, closed boolean, priority text, assignee text, labels jsonb, custom_fields jsonb';
const linkColumns = 'story_id uuid, remote_id text, remote_key text, remote_url text, marker text, snapshot jsonb, remote_updated_at text, remote_version text';

interface PageTarget {
  projectId: string;
  bindingId: string;
  listedAt: Date;
  /** Also write the outbox event trackbridge writes for each created story, in one more statement. */
  outbox: boolean;
}

/** One transaction per page: find existing links, then upsert stories and links with a statement each. */
async function upsertPage(db: pg.PoolClient, { projectId, bindingId, listedAt, outbox }: PageTarget, items: RemoteItem[]): Promise<void> {
  await db.query('begin');
  try {
    const { rows } = await db.query<{ remote_id: string; story_id: string }>(
      'select remote_id, story_id from external_links where binding_id = $1 and remote_id = any($2::text[])',
      [bindingId, items.map((i) => i.remoteId)],
    );
    const known = new Map(rows.map((r) => [r.remote_id, r.story_id]));
    const withIds = items.map((item) => ({ item, storyId: known.get(item.remoteId) ?? randomUUID() }));
    await db.query(
      `insert into stories (id, project_id, title, description, status, closed, priority, assignee, labels, custom_fields)
       select x.id, $1, x.title, x.description, x.status, x.closed, x.priority, x.assignee, x.labels, x.custom_fields
       from jsonb_to_recordset($2::jsonb) as x(${storyColumns})
       on conflict (id) do update set title = excluded.title, description = excluded.description, status = excluded.status,
         closed = excluded.closed, priority = excluded.priority, assignee = excluded.assignee, labels = excluded.labels,
         custom_fields = excluded.custom_fields, version = stories.version + 1, updated_at = now()`,
      [projectId, JSON.stringify(withIds.map(({ item, storyId }) => ({
        id: storyId, ...item.fields, custom_fields: item.fields.customFields,
      })))],
    );
    await db.query(
      `insert into external_links (binding_id, story_id, remote_id, remote_key, remote_url, marker, snapshot, remote_updated_at, remote_version, synced_at, listed_at)
       select $1, x.story_id, x.remote_id, x.remote_key, x.remote_url, x.marker, x.snapshot, x.remote_updated_at, x.remote_version, now(), $3
       from jsonb_to_recordset($2::jsonb) as x(${linkColumns})
       on conflict (binding_id, remote_id) do update set snapshot = excluded.snapshot, remote_updated_at = excluded.remote_updated_at,
         remote_version = excluded.remote_version, synced_at = excluded.synced_at, listed_at = excluded.listed_at`,
      [bindingId, JSON.stringify(withIds.map(({ item, storyId }) => ({
        story_id: storyId, remote_id: item.remoteId, remote_key: item.key, remote_url: item.url, marker: `pulled:${item.remoteId}`,
        snapshot: { fields: item.fields }, remote_updated_at: item.updatedAt, remote_version: item.version ?? null,
      }))), listedAt],
    );
    const created = withIds.filter(({ item }) => !known.has(item.remoteId));
    if (outbox && created.length) {
      await db.query(
        `insert into outbox_events (project_id, story_id, action, target, actor, origin, changes, story_version)
         select $1, x.story_id, 'create', 'story', x.actor, $2, x.changes, 1
         from jsonb_to_recordset($3::jsonb) as x(story_id uuid, actor text, changes jsonb)`,
        [projectId, bindingId, JSON.stringify(created.map(({ item, storyId }) => ({
          story_id: storyId, actor: `remote:${item.key}`, changes: diffFields(undefined, item.fields),
        })))],
      );
    }
    await db.query('commit');
  } catch (err) {
    await db.query('rollback');
    throw err;
  }
}

/** A project, a connection and a binding to hang stories and links on. */
async function createOwners(database: BenchDatabase, scope: string): Promise<{ projectId: string; bindingId: string }> {
  const [project] = await database.db.insert(projects).values({ key: `RAW${Date.now() % 100_000}`, name: 'raw baseline' }).returning();
  const [connection] = await database.db.insert(connections).values({ connector: 'github', name: 'raw', config: {}, secretsSealed: 'unused' }).returning();
  const [binding] = await database.db.insert(bindings).values({ projectId: project!.id, connectionId: connection!.id, scope }).returning();
  return { projectId: project!.id, bindingId: binding!.id };
}

/**
 * The raw baseline: a bare script (no Temporal, no connector) that fetches the same pages and
 * bulk-upserts the same story and link rows, page after page like the sync does. With `outbox`, it
 * also writes the outbox events, as a batched apply in the product would have to.
 */
export async function runGitHubBaseline(source: GitHubSource, database: BenchDatabase, opts: { outbox: boolean }): Promise<BaselineResult> {
  const { projectId, bindingId } = await createOwners(database, source.repo);
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  const client = await pool.connect();
  const result: BaselineResult = { items: 0, pages: 0, wallMs: 0, fetchMs: 0, writeMs: 0, projectId };
  const listedAt = new Date();
  const started = performance.now();
  try {
    for await (const page of fetchIssuePages(source)) {
      const writeStarted = performance.now();
      await upsertPage(client, { projectId, bindingId, listedAt, outbox: opts.outbox }, page.items);
      result.writeMs += performance.now() - writeStarted;
      result.fetchMs += page.ms;
      result.items += page.items.length;
      result.pages++;
    }
    result.wallMs = performance.now() - started;
    return result;
  } finally {
    client.release();
    await pool.end();
  }
}

/** Times trackbridge's own DB apply (`applyRemotePage`) alone, on the same pages, without Temporal or HTTP in the clock. */
export async function timeDirectApply(source: GitHubSource, database: BenchDatabase): Promise<{ items: number; pages: number; applyMs: number; fetchMs: number }> {
  const { projectId, bindingId } = await createOwners(database, source.repo);
  const binding = { id: bindingId, projectId, importPolicy: 'auto' };
  const listedAt = new Date();
  const out = { items: 0, pages: 0, applyMs: 0, fetchMs: 0 };
  for await (const page of fetchIssuePages(source)) {
    const started = performance.now();
    const result = await applyRemotePage(database.db, binding, page.items, { full: true, listedAt });
    out.applyMs += performance.now() - started;
    out.fetchMs += page.ms;
    if (result.counts.failed) throw new Error(`applyRemotePage failed ${result.counts.failed} items: ${result.errors[0]?.error}`);
    out.items += page.items.length;
    out.pages++;
  }
  return out;
}

/** A digest of what a project holds per remote item, to compare two databases row for row. */
export async function contentDigest(database: BenchDatabase, projectId: string): Promise<{ rows: number; digest: string }> {
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  try {
    const { rows } = await pool.query<{ rows: number; digest: string | null }>(
      `select count(*)::int as rows, md5(string_agg(concat_ws('|', l.remote_id, s.title, s.description, s.status, s.closed::text,
         coalesce(s.assignee, ''), s.labels::text, l.remote_key, l.remote_url, l.remote_updated_at), E'\\n' order by l.remote_id::bigint)) as digest
       from stories s join external_links l on l.story_id = s.id where s.project_id = $1 and s.deleted_at is null`,
      [projectId],
    );
    return { rows: rows[0]?.rows ?? 0, digest: rows[0]?.digest ?? '' };
  } finally {
    await pool.end();
  }
}
