import { downloadRedmine } from '../baselines/redmine';
import { percentile, syncBreakdown } from '../history';
import { startRecordingProxy, type ProxiedRequest } from '../recording-proxy';
import { benchProject, useRedmine } from '../redmine-fixture';
import type { Scenario } from '../scenario';
import { MAX_REQUESTS_PER_SECOND } from '../stack';

const seconds = (ms: number) => Math.round(ms / 10) / 100;
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

function kindOf(r: ProxiedRequest): string {
  if (r.path === '/issues.json') return 'listing pages';
  if (/^\/issues\/\d+\.json$/.test(r.path) && r.query.includes('include=journals')) return 'journals (one per issue)';
  return `other ${r.path}`;
}

function byKind(requests: ProxiedRequest[]) {
  const kinds: Record<string, { requests: number; totalMs: number; p50Ms: number; statuses: Record<string, number> }> = {};
  const times: Record<string, number[]> = {};
  for (const r of requests) {
    const k = kindOf(r);
    const entry = (kinds[k] ??= { requests: 0, totalMs: 0, p50Ms: 0, statuses: {} });
    entry.requests++;
    entry.totalMs += r.ms;
    entry.statuses[r.status] = (entry.statuses[r.status] ?? 0) + 1;
    (times[k] ??= []).push(r.ms);
  }
  for (const [k, entry] of Object.entries(kinds)) {
    entry.totalMs = Math.round(entry.totalMs);
    entry.p50Ms = Math.round(percentile(times[k]!.sort((a, b) => a - b), 50) * 10) / 10;
  }
  return kinds;
}

/** The listing requests: those of the listing itself (no updated_on filter) by offset, and those with a filter. */
function listingQueries(requests: ProxiedRequest[]): { byOffset: number; offsets: number[]; since: number } {
  const queries = requests.filter((r) => r.path === '/issues.json').map((r) => new URLSearchParams(r.query));
  const plain = queries.filter((q) => !q.has('updated_on'));
  return { byOffset: plain.length, offsets: plain.map((q) => Number(q.get('offset') ?? 0)), since: queries.length - plain.length };
}

/**
 * How busy the journal requests kept Redmine: from the first request to the last answer, the time with
 * no journal request in flight, and the mean number in flight (4 at best, as both sides ask 4 at a time).
 */
function journalOccupancy(requests: ProxiedRequest[]): { spanMs: number; noJournalMs: number; meanInFlight: number } {
  if (requests.length === 0) return { spanMs: 0, noJournalMs: 0, meanInFlight: 0 };
  const start = Math.min(...requests.map((r) => r.at));
  const end = Math.max(...requests.map((r) => r.at + r.ms));
  const edges = requests.filter((r) => kindOf(r) === 'journals (one per issue)')
    .flatMap((r) => [[r.at, 1], [r.at + r.ms, -1]] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let t = start;
  let noJournalMs = 0;
  let busyMs = 0;
  for (const [at, delta] of [...edges, [end, 0] as const]) {
    if (inFlight === 0) noJournalMs += at - t;
    busyMs += inFlight * (at - t);
    inFlight += delta;
    t = at;
  }
  const spanMs = end - start;
  return { spanMs: Math.round(spanMs), noJournalMs: Math.round(noJournalMs), meanInFlight: Math.round((busyMs / spanMs) * 100) / 100 };
}

/** P1': initial sync from a real Redmine against plain downloads of the same pages. */
export const p1r: Scenario = {
  id: 'P1R',
  title: 'Initial sync against a real Redmine',
  async run(ctx, rec) {
    const redmine = await useRedmine(ctx.env);
    const project = await benchProject(ctx.env, redmine, ctx.size.redmineIssues);
    const n = project.total;
    if (project.seeded) rec.note(`seeded ${project.seeded} issues into ${project.identifier} in this run`);
    // Every request goes through the recorder, the baselines' too, so the proxy costs both sides alike.
    const proxy = await startRecordingProxy(redmine.url);
    ctx.env.defer('redmine proxy', () => proxy.close());
    const source = { url: proxy.url, apiKey: redmine.apiKey, project: project.identifier };
    const stack = await ctx.mainStack();
    const bound = await stack.bind('redmine', { baseUrl: proxy.url, maxRequestsPerSecond: MAX_REQUESTS_PER_SECOND }, { apiKey: redmine.apiKey }, project.identifier);

    ctx.log(`  plain download of ${n} issues (pages only)`);
    const listFirst = await downloadRedmine(source);
    ctx.log('  trackbridge initial sync');
    proxy.reset();
    const run = await stack.initialSync(bound.bindingId, 60_000 + n * 200);
    const tbListing = listingQueries(proxy.requests());
    const tbRequests = byKind(proxy.requests());
    const tbOccupancy = journalOccupancy(proxy.requests());
    const history = await syncBreakdown(ctx.env.client, run.workflowId, run.firstRunId);
    ctx.log(`  done in ${seconds(run.ms)} s; plain download of pages and every issue's journals`);
    proxy.reset();
    const withJournals = await downloadRedmine(source, { journalConcurrency: 4 });
    const baselineRequests = byKind(proxy.requests());
    const baselineOccupancy = journalOccupancy(proxy.requests());
    const listAgain = await downloadRedmine(source);
    const listMs = Math.min(listFirst.ms, listAgain.ms);

    rec.check('initial sync completed', run.result.status === 'completed', JSON.stringify(run.result));
    rec.check(`created ${n} stories, none failed`, run.result.counts.created === n && run.result.counts.failed === 0, JSON.stringify(run.result.counts));
    const stories = await stack.liveStories(bound.projectId);
    rec.check('story count = issue count', stories === n && listFirst.issues === n, `${stories} stories, ${listFirst.issues} issues listed`);

    const quietPulls = [];
    for (let i = 0; i < 2; i++) {
      proxy.reset();
      const quiet = await stack.pull(bound.bindingId);
      quietPulls.push({ counts: quiet.result.counts, requests: proxy.requests().map((r) => `${r.method} ${r.path} → ${r.status}`) });
      rec.check(`quiet pull ${i + 1} completed and wrote nothing`, quiet.result.status === 'completed' && quiet.result.counts.created + quiet.result.counts.updated === 0, JSON.stringify(quiet.result.counts));
    }
    const quietRequests = quietPulls.at(-1)!.requests;

    rec.metric('trackbridge initial sync', seconds(run.ms), 's');
    rec.metric('plain download, pages only', seconds(listMs), 's');
    rec.metric('ratio trackbridge / pages only', ratio(run.ms, listMs), 'x', { op: '<=', value: 1.15 });
    rec.metric('plain download, pages + journals', seconds(withJournals.ms), 's');
    rec.metric('ratio trackbridge / pages + journals', ratio(run.ms, withJournals.ms), 'x', { op: '<=', value: 1.15 });
    rec.metric('requests of the second quiet pull', quietRequests.length, 'req');
    rec.breakdown('trackbridge requests', tbRequests);
    rec.breakdown('pages + journals download requests', baselineRequests);
    rec.breakdown('journal requests in flight', { trackbridge: tbOccupancy, pagesAndJournals: baselineOccupancy });
    rec.breakdown('trackbridge history', {
      wallMs: Math.round(run.ms), pages: history.pages, pageActivityMs: history.pageActivityMs, pageQueueMs: history.pageQueueMs,
      otherMs: history.otherMs, pageP50Ms: history.pageP50Ms, pageP95Ms: history.pageP95Ms, retries: history.retries,
    });
    rec.breakdown('downloads', {
      pagesOnlyMs: [Math.round(listFirst.ms), Math.round(listAgain.ms)], pages: listFirst.pages,
      withJournalsMs: Math.round(withJournals.ms), journalRequests: withJournals.journalRequests,
    });
    rec.breakdown('quiet pulls', quietPulls);
    const journals = tbRequests['journals (one per issue)'];
    const listing = tbRequests['listing pages'];
    const rate = Math.round(Object.values(tbRequests).reduce((a, k) => a + k.requests, 0) / (run.ms / 1000));
    rec.note(`trackbridge read ${tbListing.byOffset} listing pages by offset (${tbListing.offsets.join(', ')}), each starting on the issue that ended `
      + `the one before, and ${tbListing.since} with an updated_on filter (the watermark's first page, for its ETag, and a restart after a broken boundary); `
      + `the plain download read ${listFirst.pages}. Journal requests in flight, on average from the first request to the last answer: `
      + `trackbridge ${tbOccupancy.meanInFlight} (none for ${seconds(tbOccupancy.noJournalMs)} s of ${seconds(tbOccupancy.spanMs)} s), `
      + `the download ${baselineOccupancy.meanInFlight} (none for ${seconds(baselineOccupancy.noJournalMs)} s of ${seconds(baselineOccupancy.spanMs)} s)`);
    rec.note(`trackbridge made ${listing?.requests ?? 0} listing requests (${seconds(listing?.totalMs ?? 0)} s in total) and `
      + `${journals?.requests ?? 0} journal requests (${seconds(journals?.totalMs ?? 0)} s in total, 4 at a time, median ${journals?.p50Ms ?? 0} ms); `
      + `the listing lists no journal count, so every issue costs one more request on an initial sync. `
      + `${history.batches} syncPages activities (${history.pages} pages) took ${seconds(history.pageActivityMs)} s of the ${seconds(run.ms)} s. ${rate} requests/s overall `
      + `(budget ${MAX_REQUESTS_PER_SECOND}/s). The product has no knob to skip journals, so "pages + journals" is the like-for-like baseline.`);
  },
};
