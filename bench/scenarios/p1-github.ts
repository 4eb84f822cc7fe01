import { timeSyncPageDirect } from '../baselines/direct-activity';
import { contentDigest, runGitHubBaseline, timeDirectApply, type BaselineResult } from '../baselines/github';
import { syncGitHubRepo } from '../github-sync';
import type { Scenario } from '../scenario';

/** The CI floor for P1's ratio, far enough below the target that a loaded machine does not trip it. */
export const P1_GATE = 0.4;

/** Pairs of a trackbridge initial sync and the raw baseline on the same issues; P1 reports the median. */
const ROUNDS = 3;

const perSecond = (items: number, ms: number) => Math.round(items / (ms / 1000));
const roundTo = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Round { trackbridge: number; baseline: number; ratio: number; perPage: number }

/** One pair: trackbridge's rate beside the baseline's, and a page's cost beside the baseline's. */
function pair(runMs: number, pageActivityMs: number, pages: number, baseline: BaselineResult): Round {
  const trackbridge = perSecond(baseline.items, runMs);
  const base = perSecond(baseline.items, baseline.wallMs);
  const perPage = (baseline.wallMs / Math.max(1, baseline.pages)) / Math.max(0.1, pageActivityMs / Math.max(1, pages));
  return { trackbridge, baseline: base, ratio: roundTo(trackbridge / base, 2), perPage: roundTo(perPage, 2) };
}

/** P1: initial-sync throughput against the GitHub double, and the same work done by a bare script. */
export const p1: Scenario = {
  id: 'P1',
  title: 'Initial-sync throughput (GitHub double)',
  async run(ctx, rec) {
    const n = ctx.size.issues;
    const sync = await ctx.githubSync(n);
    const { run, history, double, repo } = sync;
    rec.check('initial sync completed', run.result.status === 'completed', run.result.status);
    rec.check(`created ${n} stories, none failed`, run.result.counts.created === n && run.result.counts.failed === 0, JSON.stringify(run.result.counts));
    const stories = await sync.stack.liveStories(sync.bound.projectId);
    rec.check('story count = issue count', stories === n, `${stories} stories for ${n} issues`);

    const source = { url: double.url, token: double.token, repo };
    ctx.log('  raw baseline: fetch the same pages and bulk-upsert the same rows, no Temporal');
    const { baseline, digests } = await ctx.env.withDatabase(async (db) => {
      const result = await runGitHubBaseline(source, db, { outbox: false });
      return { baseline: result, digests: [await contentDigest(sync.stack.database, sync.bound.projectId), await contentDigest(db, result.projectId)] as const };
    });
    rec.check('baseline wrote the same rows', digests[0].rows === n && digests[0].digest === digests[1].digest,
      `trackbridge ${digests[0].rows} rows ${digests[0].digest.slice(0, 8)}, baseline ${digests[1].rows} rows ${digests[1].digest.slice(0, 8)}`);
    // The machine's noise moves a single pair by 15% either way (the same commit measured 0.66x to 0.92x
    // in one hour): more pairs, each sync beside its own baseline, and the median ratio is the figure.
    const rounds: Round[] = [pair(run.ms, history.pageActivityMs, history.pages, baseline)];
    for (let r = 2; r <= ROUNDS; r++) {
      ctx.log(`  round ${r} of ${ROUNDS}: another repo of ${n} issues, synced, then its raw baseline`);
      const again = await syncGitHubRepo(ctx.env, sync.stack, double, n, `${repo}-round${r}`);
      rec.check(`round ${r}: initial sync completed`, again.run.result.status === 'completed' && again.run.result.counts.created === n, JSON.stringify(again.run.result.counts));
      const base = await ctx.env.withDatabase((db) => runGitHubBaseline({ ...source, repo: again.repo }, db, { outbox: false }));
      rounds.push(pair(again.run.ms, again.history.pageActivityMs, again.history.pages, base));
    }
    ctx.log('  raw baseline again, also writing the outbox events (what a batched apply would cost)');
    const withOutbox = await ctx.env.withDatabase((db) => runGitHubBaseline(source, db, { outbox: true }));
    ctx.log('  stage timing: applyRemotePage alone on the same pages');
    const apply = await ctx.env.withDatabase((db) => timeDirectApply(source, db));
    ctx.log('  stage timing: the syncPages activity called directly, without Temporal');
    const direct = await ctx.env.withDatabase((db) => timeSyncPageDirect(ctx.env, db, double, repo));
    rec.check('direct syncPages created every story', direct.created === n, `${direct.created} of ${n}`);

    rec.metric('trackbridge (median)', median(rounds.map((r) => r.trackbridge)), 'items/s');
    rec.metric('raw baseline (median)', median(rounds.map((r) => r.baseline)), 'items/s');
    rec.metric(`throughput ratio (trackbridge / baseline, median of ${ROUNDS} pairs)`, median(rounds.map((r) => r.ratio)), 'x', { op: '>=', value: 0.8 });
    rec.metric('raw baseline + outbox events (batched)', perSecond(withOutbox.items, withOutbox.wallMs), 'items/s');

    const pages = history.pages;
    const perPage = (ms: number, count = pages) => roundTo(ms / Math.max(1, count));
    // The gate: a page's cost side by side with the baseline's in this run, so the machine's noise mostly
    // cancels out, and without the run's fixed start (a workflow, a few activities), which dominates at
    // smoke size. 0d8614d measured 0.22 here; a page of 100 then cost 112 ms against the baseline's 25.
    rec.metric(`per-page ratio (baseline ms / trackbridge syncPages ms, median of ${ROUNDS} pairs)`, median(rounds.map((r) => r.perPage)), 'x',
      undefined, { op: '>=', value: P1_GATE });
    rec.breakdown('pairs', Object.fromEntries(rounds.map((r, i) => [`round${i + 1}`, r])));
    rec.breakdown('trackbridge', {
      items: n, wallMs: Math.round(run.ms), pages, runs: history.runs, retries: history.retries,
      batches: history.batches, pageActivityMsPerPage: perPage(history.pageActivityMs), batchP50Ms: history.pageP50Ms, batchP95Ms: history.pageP95Ms,
      queueMsPerPage: perPage(history.pageQueueMs), otherMsPerPage: perPage(history.otherMs), otherActivitiesMs: history.activities,
    });
    rec.breakdown('baseline', {
      items: baseline.items, pages: baseline.pages, wallMs: Math.round(baseline.wallMs),
      fetchMsPerPage: perPage(baseline.fetchMs, baseline.pages), upsertMsPerPage: perPage(baseline.writeMs, baseline.pages),
    });
    rec.breakdown('baseline with outbox', {
      wallMs: Math.round(withOutbox.wallMs), fetchMsPerPage: perPage(withOutbox.fetchMs, withOutbox.pages), upsertMsPerPage: perPage(withOutbox.writeMs, withOutbox.pages),
    });
    rec.breakdown('syncPages called directly', { pages: direct.pages, msPerPage: perPage(direct.ms, direct.pages), itemsPerSecond: perSecond(direct.items, direct.ms) });
    rec.breakdown('applyRemotePage alone', { pages: apply.pages, applyMsPerPage: perPage(apply.applyMs, apply.pages), fetchMsPerPage: perPage(apply.fetchMs, apply.pages) });
    rec.note(`per page: trackbridge ${perPage(run.ms)} ms wall = syncPages activity ${perPage(history.pageActivityMs)} ms `
      + `+ queue ${perPage(history.pageQueueMs)} ms + workflow/other ${perPage(history.otherMs)} ms; `
      + `baseline ${perPage(baseline.wallMs, baseline.pages)} ms = fetch ${perPage(baseline.fetchMs, baseline.pages)} + bulk upsert ${perPage(baseline.writeMs, baseline.pages)}; `
      + `syncPages called directly (no Temporal, no worker process) ${perPage(direct.ms, direct.pages)} ms; `
      + `applyRemotePage alone ${perPage(apply.applyMs, apply.pages)} ms (one statement per story, link and outbox event); `
      + `the baseline's batched upsert with outbox events ${perPage(withOutbox.writeMs, withOutbox.pages)} ms`);
    rec.note('no pull requests or comments in the fixture: both sides fetch exactly the listing pages. trackbridge also writes one outbox event '
      + 'per story (and its worker runs the outbox relay); the target baseline does not, the "+ outbox events" variant does');
  },
};
