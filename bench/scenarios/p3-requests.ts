import { inArray, sql } from 'drizzle-orm';
import { queryRows } from '../../db/client';
import { externalLinks } from '../../db/schema';
import type { GitHubDouble } from '../../test/support/github-double';
import type { Recorder, Scenario } from '../scenario';
import type { Stack } from '../stack';

const per100 = (requests: number, n: number) => Math.round((requests / (n / 100)) * 1000) / 1000;

/** Runs one "pull now" and returns the remote requests it made. */
async function countedPull(stack: Stack, double: GitHubDouble, bindingId: string) {
  double.resetRequests();
  const run = await stack.pull(bindingId);
  const requests = double.requests();
  const statuses = requests.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
  return { run, requests: requests.length, statuses };
}

function recordPull(rec: Recorder, label: string, pull: Awaited<ReturnType<typeof countedPull>>) {
  rec.check(`${label}: completed`, pull.run.result.status === 'completed', JSON.stringify(pull.run.result));
  rec.breakdown(label, { requests: pull.requests, statuses: pull.statuses, counts: pull.run.result.counts, ms: Math.round(pull.run.ms) });
}

/** P3: remote requests of steady-state pulls after an initial sync: nothing changed, then 1% changed. */
export const p3: Scenario = {
  id: 'P3',
  title: 'Request economy of steady-state pulls (GitHub double)',
  async run(ctx, rec) {
    const n = ctx.size.issues;
    const { stack, double, repo, bound } = await ctx.githubSync(n);

    ctx.log('  pull right after the initial sync, then a quiet pull');
    const first = await countedPull(stack, double, bound.bindingId);
    recordPull(rec, 'first pull after initial sync', first);
    const quiet = await countedPull(stack, double, bound.bindingId);
    recordPull(rec, 'quiet pull', quiet);
    rec.check('quiet pull: one conditional request answered 304', quiet.requests === 1 && quiet.statuses['304'] === 1, JSON.stringify(quiet.statuses));
    rec.check('quiet pull: wrote nothing', quiet.run.result.counts.created + quiet.run.result.counts.updated === 0, JSON.stringify(quiet.run.result.counts));

    const changed = Math.max(1, Math.round(n / 100));
    ctx.log(`  editing ${changed} issues (1%) remotely, then pulling`);
    const numbers = double.listIssues(repo).map((i) => i.number).filter((_, i) => i % Math.floor(n / changed) === 0).slice(0, changed);
    for (const number of numbers) double.editIssue(repo, number, { title: `Edited for the benchmark #${number}` });
    const afterChange = await countedPull(stack, double, bound.bindingId);
    recordPull(rec, '1% changed pull', afterChange);
    const [row] = await queryRows<{ n: number }>(stack.database.db, sql`
      select count(*)::int as n from stories s join ${externalLinks} on ${externalLinks.storyId} = s.id
      where s.title like 'Edited for the benchmark #%' and ${inArray(externalLinks.remoteId, numbers.map(String))}`);
    rec.check(`1% changed pull: ${changed} stories updated`, afterChange.run.result.counts.updated === changed && row?.n === changed,
      `counts ${JSON.stringify(afterChange.run.result.counts)}, ${row?.n} stories carry the new title`);
    const afterwards = await countedPull(stack, double, bound.bindingId);
    recordPull(rec, 'quiet pull after the change', afterwards);
    const settled = await countedPull(stack, double, bound.bindingId);
    recordPull(rec, 'second quiet pull after the change', settled);
    rec.check('quiet again after the change: one request answered 304', settled.requests === 1 && settled.statuses['304'] === 1, JSON.stringify(settled.statuses));

    rec.metric('quiet pull', per100(quiet.requests, n), 'req/100 issues', { op: '<=', value: 1.02 });
    rec.metric('1% changed pull', per100(afterChange.requests, n), 'req/100 issues', { op: '<=', value: 1.02 });
    rec.metric('requests of the first pull after the initial sync', first.requests, 'req');
    // A count, not a time: a quiet pull is one conditional request answered 304 (K1), at any size.
    rec.metric('requests of the quiet pull', quiet.requests, 'req', undefined, { op: '<=', value: 1 });
    rec.metric('requests of the 1% changed pull', afterChange.requests, 'req');
    rec.metric('requests of the next two quiet pulls', afterwards.requests + settled.requests, 'req');
    const listingPages = Math.ceil(changed / 100);
    rec.note(`1% changed (${changed} issues): ${afterChange.requests} requests where ${listingPages} listing page(s) would be the floor; `
      + `the quiet pulls made ${quiet.requests} (${JSON.stringify(quiet.statuses)}) before the change and `
      + `${afterwards.requests} (${JSON.stringify(afterwards.statuses)}), then ${settled.requests} (${JSON.stringify(settled.statuses)}) after it`);
  },
};
