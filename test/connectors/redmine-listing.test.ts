/**
 * The Redmine listing read by offset (real Redmine): a bulk-seeded project, where 20 issues share each
 * second of updated_on, costs the pages a plain download reads plus one item per page, not the half a
 * page per page that restarting at each page's last updated_on read again (P1': 18-23 listing pages
 * for 1,000 issues where 10 do); and an issue edited between two pages is still read.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectDefinition } from '../../connectors/connect';
import { redmine } from '../../connectors/redmine';
import type { ConnectorClient, Json, PullPage } from '../../connectors/types';
import { type FaultProxy, startFaultProxy } from '../../testing';
import { type Redmine, type RmIssue, createProject, editIssue, ensureRedmine, runRails, seedIssues } from '../support/redmine';

const ISSUES = 298; // offsets 0, 99 and 198: three pages of 100, each starting on the last issue of the one before

let r: Redmine;
let proxy: FaultProxy;
let project: string;
let seeded: RmIssue[];

beforeAll(async () => {
  r = await ensureRedmine();
  const created = await createProject(r);
  project = created.identifier;
  seeded = await seedIssues(r, project, ISSUES);
  // What a bulk import leaves: 20 issues in each second, with the sub-second part Redmine keeps but does not show.
  await runRails(
    't0 = Time.now.change(usec: 0) - 60; Issue.where(project_id: Integer(ENV.fetch("PID"))).order(:id).each_with_index { |i, k| i.update_columns(updated_on: t0 + k / 20 + 0.5) }',
    { PID: String(created.id) },
  );
  proxy = await startFaultProxy(r.url);
}, 180_000); // seeding 298 issues through Redmine on SQLite takes most of a minute on a loaded 2-core machine
afterAll(async () => {
  await proxy?.close();
});

function connect(): ConnectorClient {
  return connectDefinition(redmine, {
    config: redmine.configSchema.parse({ baseUrl: proxy.url }),
    secrets: redmine.secretsSchema.parse({ apiKey: r.apiKey }),
    logger: pino({ level: 'silent' }),
  });
}

/** The listing requests since `mark`: their offset and their updated_on filter (null when none). */
function listings(mark: number): Array<{ offset: number; since: string | null }> {
  return proxy.since(mark)
    .map((req) => new URL(req.url, 'http://proxy'))
    .filter((url) => url.pathname.endsWith('/issues.json'))
    .map((url) => ({ offset: Number(url.searchParams.get('offset')), since: url.searchParams.get('updated_on') }));
}

/** The first page of a pull from `cursor`: what one sync activity fetches. */
async function firstPage(client: ConnectorClient, cursor: Json | null): Promise<PullPage> {
  const iterator = client.pull(project, cursor)[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.();
  if (first.done) throw new Error('a pull yields at least one page');
  return first.value;
}

const allIds = () => seeded.map((i) => String(i.id)).sort();

describe('Redmine listing by offset (real Redmine)', { timeout: 120_000 }, () => {
  it('reads a bulk-seeded project in pages that share one issue, not the seconds the issues share', async () => {
    const mark = proxy.mark();
    const ids: string[] = [];
    for await (const page of connect().pull(project, null)) ids.push(...page.items.map((i) => i.remoteId));
    expect([...ids].sort()).toEqual(allIds());
    const requests = listings(mark);
    // The listing itself, then (maybe) the watermark's first page, with its ETag.
    expect(requests.filter((q) => q.since === null).map((q) => q.offset)).toEqual([0, 99, 198]);
    expect(requests.length).toBeLessThanOrEqual(4);
  });

  it('misses no issue edited between two pages, resumed one page per call as the sync activities do', async () => {
    const client = connect();
    const mark = proxy.mark();
    const titles = new Map<string, string>();
    let page = await firstPage(client, null);
    const read = page.items.map((i) => i.remoteId);
    expect(read).toHaveLength(100);
    // Two issues of the page just read are edited: they move to the end of the listing, and every issue
    // after them two places back. The next page's offset (99) then starts on the issue after the one
    // that ended this page, and a plain offset listing would never read the issue in between.
    const [a, b] = [seeded[10]!, seeded[20]!];
    expect(read).toContain(String(a.id));
    await editIssue(r, a.id, { subject: 'Edited mid-listing (a)' });
    await editIssue(r, b.id, { subject: 'Edited mid-listing (b)' });
    const afterEdit = proxy.mark();
    for (let calls = 1; ; calls++) {
      for (const item of page.items) titles.set(item.remoteId, item.fields.title);
      if (page.next === null || calls > 20) break;
      page = await firstPage(client, page.next);
    }
    expect(page.next).toBeNull();
    expect([...titles.keys()].sort()).toEqual(allIds());
    expect(titles.get(String(a.id))).toBe('Edited mid-listing (a)');
    expect(titles.get(String(b.id))).toBe('Edited mid-listing (b)');
    // The broken boundary was seen at offset 99, and the listing restarted from the boundary's updated_on.
    const after = listings(afterEdit);
    expect(after[0]).toMatchObject({ offset: 99, since: null });
    expect(after[1]).toMatchObject({ offset: 0, since: expect.stringMatching(/^>=/) });
    expect(listings(mark).length).toBeLessThanOrEqual(8);
  });
});
