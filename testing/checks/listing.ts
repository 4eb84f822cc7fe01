import type { PullPage } from '@trackbridge/sdk';
import { allPages, duplicates, expectThat, firstPage, idsOf, sample, throughJson } from '../assert';
import type { ConformanceEnv } from '../env';

const missing = (expected: readonly string[], got: readonly string[]) => expected.filter((id) => !got.includes(id));
const pageBound = (env: ConformanceEnv, items: number) => Math.ceil(items / env.traits.pageSize) + 3;

/** Pagination to the end: more than a page of items, each listed exactly once, the watermark on the last page only. */
export async function pagination(env: ConformanceEnv): Promise<void> {
  const check = 'pagination';
  const { scope, seeded } = await env.listingScope();
  env.proxy.clearFaults();
  const pages = await allPages(check, env.client().pull(scope, null), pageBound(env, seeded.length));
  const ids = idsOf(pages);
  expectThat(check, duplicates(ids).length === 0, `items listed twice: ${sample(duplicates(ids))}`);
  expectThat(check, missing(seeded, ids).length === 0, `seeded items never listed: ${sample(missing(seeded, ids))} (of ${seeded.length}; got ${ids.length})`);
  expectThat(check, pages.length >= 2, `${seeded.length} items (page size ${env.traits.pageSize}) came in ${pages.length} page(s); is traits.pageSize right?`);
  const inner = pages.slice(0, -1);
  expectThat(check, inner.every((p) => p.next !== null && p.watermark === null), 'every page but the last must carry `next` and no watermark');
  const last = pages.at(-1);
  expectThat(check, last?.next === null && last.watermark !== null, 'the last page must end the listing (`next: null`) and carry the watermark');
}

/** Resuming mid-listing: stop after page 1, resume from its `next` (as JSON) with a new client; nothing lost or repeated. */
export async function resume(env: ConformanceEnv): Promise<void> {
  const check = 'resume';
  const { scope, seeded } = await env.listingScope();
  env.proxy.clearFaults();
  const first = await firstPage(env.client().pull(scope, null));
  expectThat(check, first !== undefined && first.next !== null, 'the first page of a listing longer than a page must carry `next`');
  const rest = await allPages(check, env.client().pull(scope, throughJson(first.next)), pageBound(env, seeded.length));
  const ids = [...first.items.map((i) => i.remoteId), ...idsOf(rest)];
  expectThat(check, duplicates(ids).length === 0, `resumed listing repeated items of page 1: ${sample(duplicates(ids))}`);
  expectThat(check, missing(seeded, ids).length === 0, `items lost across the resume: ${sample(missing(seeded, ids))}`);
}

const newestUpdate = (pages: readonly PullPage[]) => Math.max(...pages.flatMap((p) => p.items.map((i) => Date.parse(i.updatedAt))));

/**
 * The incremental watermark: after a full pull, a pull from its watermark returns what changed since,
 * plus at most the items within the overlap window of the newest update, and nothing older.
 * The window allows one second of timestamp resolution and one of the remote's `since` filter.
 */
export async function watermark(env: ConformanceEnv): Promise<void> {
  const check = 'watermark';
  const windowMs = (env.traits.overlapSeconds + 2) * 1000;
  const scope = await env.scope();
  const [old, changed] = await env.options.remote.seed(scope, 2);
  expectThat(check, old !== undefined && changed !== undefined, 'remote.seed(2) must return two ids');
  const before = await allPages(check, env.client().pull(scope, null), 3);
  // Waits on the remote's own timestamps: the next item lands clearly outside `old`'s window.
  const waitedFor = newestUpdate(before) + windowMs + 1000;
  await env.waitUntil(waitedFor);
  const [recent] = await env.options.remote.seed(scope, 1);
  const full = await allPages(check, env.client().pull(scope, null), 3);
  const recentItem = full.flatMap((p) => p.items).find((i) => i.remoteId === recent);
  expectThat(check, recentItem !== undefined && Date.parse(recentItem.updatedAt) >= waitedFor,
    `item ${recent}, seeded after waitUntil(${new Date(waitedFor).toISOString()}), was stamped ${recentItem?.updatedAt}: remote.seed must create items at the remote's now`);
  const mark = full.at(-1)?.watermark ?? null;
  expectThat(check, mark !== null, 'a complete listing must end with a watermark');
  const newest = newestUpdate(full);
  const inWindow = full.flatMap((p) => p.items).filter((i) => Date.parse(i.updatedAt) >= newest - windowMs).map((i) => i.remoteId);
  expectThat(check, !inWindow.includes(old), `seeding waited past the window, yet item ${old} is within ${windowMs} ms of the newest update`);

  const title = `Changed after the watermark ${Date.now()}`;
  await env.options.remote.edit(scope, changed, { title });
  const next = await allPages(check, env.client().pull(scope, throughJson(mark)), 3);
  const items = next.flatMap((p) => p.items);
  const ids = items.map((i) => i.remoteId);
  expectThat(check, items.find((i) => i.remoteId === changed)?.fields.title === title, `item ${changed}, edited after the watermark, is missing or stale in the next pull (got ${sample(ids)})`);
  expectThat(check, !ids.includes(old), `item ${old}, unchanged and older than the overlap window, came back: the watermark did not narrow the pull`);
  const extra = ids.filter((id) => id !== changed && !inWindow.includes(id));
  expectThat(check, extra.length === 0, `items neither changed nor within the overlap came back: ${sample(extra)}`);
  if (env.traits.overlapSeconds > 0 && recent !== undefined) {
    expectThat(check, ids.includes(recent), `item ${recent}, at the newest update seen, must be read again within the ${env.traits.overlapSeconds} s overlap`);
  }
}

/** 304 handling: a quiet re-pull is one notModified page answered 304 (no page of items), and a change still shows. */
export async function notModified(env: ConformanceEnv): Promise<void> {
  const check = 'notModified';
  const scope = await env.scope();
  const [edited] = await env.options.remote.seed(scope, 2);
  expectThat(check, edited !== undefined, 'remote.seed(2) must return ids');
  const full = await allPages(check, env.client().pull(scope, null), 3);
  const mark = full.at(-1)?.watermark ?? null;
  expectThat(check, mark !== null, 'a complete listing must end with a watermark');

  const from = env.proxy.mark();
  const quiet = await allPages(check, env.client().pull(scope, throughJson(mark)), 3);
  const sent = env.proxy.since(from);
  expectThat(check, quiet.length === 1 && quiet[0]?.notModified === true && quiet[0].items.length === 0,
    `a pull with nothing changed must be one page { notModified: true, items: [] }; got ${JSON.stringify(quiet.map((p) => ({ notModified: p.notModified ?? false, items: p.items.length })))}`);
  expectThat(check, sent.length > 0 && sent.every((r) => r.conditional && r.status === 304),
    `the quiet pull must cost only conditional requests answered 304; sent ${JSON.stringify(sent.map((r) => `${r.method} ${r.url} → ${r.status}${r.conditional ? ' (conditional)' : ''}`))}`);

  const title = `Changed behind an ETag ${Date.now()}`;
  await env.options.remote.edit(scope, edited, { title });
  const after = await allPages(check, env.client().pull(scope, throughJson(mark)), 3);
  expectThat(check, !after.some((p) => p.notModified), 'a change made after the watermark was hidden behind a 304');
  expectThat(check, after.flatMap((p) => p.items).some((i) => i.remoteId === edited && i.fields.title === title), `item ${edited}, edited after the watermark, is missing from the next pull`);
}
