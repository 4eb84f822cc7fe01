import { createProject, getIssue, listIssues, uniqueIdentifier } from '../../test/support/redmine';
import { round1, sleep, unrelayed } from '../push';
import { startRecordingProxy, type ProxiedRequest } from '../recording-proxy';
import { useRedmine } from '../redmine-fixture';
import type { Scenario } from '../scenario';
import { MAX_REQUESTS_PER_SECOND } from '../stack';

interface BacklogStatus { backlogged: boolean; size: number; drained: number; waiting: string | null; deadLetters: number }

const titleOf = (i: number, round: number) => `p5r story ${i} r${round}`;
const roundOf = (title: unknown) => (typeof title === 'string' ? Number(/ r(\d+)$/.exec(title)?.[1] ?? NaN) : NaN);
const subjectOf = (r: ProxiedRequest): unknown => {
  try {
    return (JSON.parse(r.body ?? '{}') as { issue?: { subject?: unknown } }).issue?.subject;
  } catch {
    return undefined;
  }
};

const countBy = <T>(items: T[], key: (item: T) => string): Record<string, number> =>
  items.reduce<Record<string, number>>((acc, item) => ({ ...acc, [key(item)]: (acc[key(item)] ?? 0) + 1 }), {});

/**
 * P5': a real Redmine goes away (the recording proxy in front of it stops listening, so connections
 * are refused, as when Redmine is stopped) while stories × rounds edits go through the API and queue
 * in the binding's backlog; then it listens again, and the time from that moment to an empty backlog
 * with every issue at its story's last title is measured. Every write goes through the proxy, so the
 * order of the subjects each issue received is checked, and Redmine's journals are checked after.
 */
export const p5r: Scenario = {
  id: 'P5R',
  title: 'Backlog recovery after a Redmine outage',
  async run(ctx, rec) {
    const { stories: n, rounds, seconds } = ctx.size.outage;
    const redmine = await useRedmine(ctx.env);
    const project = (await createProject(redmine, { identifier: uniqueIdentifier('tb-p5r') })).identifier;
    const proxy = await startRecordingProxy(redmine.url);
    const undo = ctx.env.defer('P5\' recording proxy', () => proxy.close());
    let down = false;
    try {
      const stack = await ctx.mainStack();
      const bound = await stack.bind('redmine', { baseUrl: proxy.url, maxRequestsPerSecond: MAX_REQUESTS_PER_SECOND }, { apiKey: redmine.apiKey }, project);
      const sync = await stack.initialSync(bound.bindingId, 120_000);
      if (sync.result.status !== 'completed') throw new Error(`initial sync of the empty ${project} did not complete: ${JSON.stringify(sync.result)}`);
      const backlog = async () => (await stack.call('GET', `/bindings/${bound.bindingId}/backlog`)) as unknown as BacklogStatus;

      ctx.log(`  creating ${n} stories in Redmine project ${project} and waiting for their issues`);
      const stories: Array<{ id: string; version: number; remoteId: number }> = [];
      for (let i = 0; i < n; i++) {
        const s = await stack.call('POST', `/projects/${bound.projectId}/stories`, { title: titleOf(i, 0) });
        stories.push({ id: s.id as string, version: s.version as number, remoteId: 0 });
      }
      const linked = Date.now() + 120_000;
      while (stories.some((s) => !s.remoteId)) {
        if (Date.now() > linked) throw new Error('stories got no Redmine issue within 120 s');
        for (const s of stories.filter((x) => !x.remoteId)) {
          const link = ((await stack.call('GET', `/stories/${s.id}`)).links as Array<{ bindingId: string; remoteId: string | null }>).find((l) => l.bindingId === bound.bindingId);
          if (link?.remoteId) s.remoteId = Number(link.remoteId);
        }
        await sleep(200);
      }
      await sleep(1000);

      ctx.log(`  outage: the proxy stops listening; ${n} stories × ${rounds} edits through the API`);
      await proxy.down();
      down = true;
      const outageStarted = Date.now();
      for (let round = 1; round <= rounds; round++) {
        await Promise.all(stories.map(async (s, i) => {
          s.version = (await stack.call('PATCH', `/stories/${s.id}`, { version: s.version, title: titleOf(i, round) })).version as number;
        }));
      }
      let status = await backlog();
      for (const settle = Date.now() + 90_000; Date.now() < settle; status = await backlog()) {
        if (status.backlogged && status.size === n && (await unrelayed(stack, stories.map((s) => s.id))) === 0) break;
        await sleep(250);
      }
      rec.check('backlog holds every story before recovery', status.backlogged && status.size === n, JSON.stringify(status));
      rec.breakdown('backlogBeforeRecovery', status);
      await sleep(Math.max(0, outageStarted + seconds * 1000 - Date.now()));

      proxy.reset();
      await proxy.up();
      down = false;
      const recovered = Date.now();
      const outageMs = recovered - outageStarted;
      ctx.log(`  recovery after ${round1(outageMs / 1000)} s: the proxy listens again; timing the drain`);
      let doneAt = 0;
      let last: BacklogStatus | undefined;
      for (const deadline = Date.now() + 3 * 60_000; Date.now() < deadline; await sleep(50)) {
        const now = Date.now();
        last = await backlog();
        if (last.size > 0 || last.backlogged) continue;
        // The backlog empties after its last write returned: the issues are checked once, at that point.
        const { issues } = await listIssues(redmine, { project, limit: 100 });
        if (stories.every((s, i) => issues.find((x) => x.id === s.remoteId)?.subject === titleOf(i, rounds))) {
          doneAt = now;
          break;
        }
      }
      const drainMs = doneAt ? doneAt - recovered : NaN;
      rec.check('backlog empty and every issue at its last title within 3 minutes', doneAt > 0, JSON.stringify(last));
      rec.check('no dead letters', (last?.deadLetters ?? 0) === 0, JSON.stringify(last));

      const requests = proxy.requests();
      const puts = requests.filter((r) => r.method === 'PUT' && r.status < 300 && /^\/issues\/\d+\.json$/.test(r.path));
      const byIssue = new Map<string, number[]>();
      for (const p of [...puts].sort((a, b) => a.at - b.at)) {
        const subject = subjectOf(p);
        if (subject === undefined) continue;
        byIssue.set(p.path, [...(byIssue.get(p.path) ?? []), roundOf(subject)]);
      }
      const backwards = [...byIssue.entries()].filter(([, seq]) => seq.some((r, k) => Number.isNaN(r) || (k > 0 && r <= seq[k - 1]!)));
      rec.check('per issue, the subjects written move forward only (none repeated, none back)', backwards.length === 0,
        backwards.length ? `${backwards.length} issues, e.g. ${backwards[0]![0]}: ${backwards[0]![1].join(',')}` : `${byIssue.size} issues written`);
      const total = (await listIssues(redmine, { project, limit: 1 })).total_count;
      rec.check('one Redmine issue per story', total === n, `${total} issues for ${n} stories`);
      // Redmine's own record: each issue's journals show its subjects in hub order, each at most once.
      let journalsBad = '';
      for (const [i, s] of stories.entries()) {
        const issue = await getIssue(redmine, s.remoteId, { include: 'journals' });
        const seq = (issue.journals ?? []).flatMap((j) => j.details.filter((d) => d.name === 'subject').map((d) => roundOf(d.new_value)));
        if (issue.subject !== titleOf(i, rounds) || seq.some((r, k) => Number.isNaN(r) || (k > 0 && r <= seq[k - 1]!))) {
          journalsBad ||= `issue ${s.remoteId}: ${issue.subject}, journal subjects r${seq.join(',r')}`;
        }
      }
      rec.check('Redmine journals: subjects in hub order, each once, ending at the last round', journalsBad === '', journalsBad || `${n} issues`);

      const firstOk = puts.length ? Math.min(...puts.map((p) => p.at)) - recovered : NaN;
      const answered = requests.filter((r) => r.status < 500);
      const firstAnswer = answered.length ? Math.min(...answered.map((r) => r.at)) - recovered : NaN;
      rec.metric('remote answering → empty backlog', round1(drainMs / 1000), 's', { op: '<=', value: 5 });
      rec.metric('remote answering → first successful write', firstOk, 'ms');
      rec.metric('writes during the drain', puts.length, 'req');
      rec.breakdown('recovery', {
        stories: n, rounds, events: n * rounds, outageMs, drainMs, firstAnswerMs: firstAnswer, firstOkMs: firstOk,
        lastOkMs: puts.length ? Math.max(...puts.map((p) => p.at)) - recovered : null, writes: puts.length,
        requests: requests.length, byKind: countBy(requests, (r) => `${r.method} ${r.path.replace(/\d+/g, ':id')}${r.query ? ` ${r.query.replace(/\d+/g, ':n')}` : ''} → ${r.status}`),
      });
      rec.breakdown('writes (ms after the remote answered)', puts.map((p) => p.at - recovered).sort((a, b) => a - b));
      rec.note(`${n * rounds} edits (${n} stories × ${rounds}) queued while the proxy in front of Redmine refused connections for ${round1(outageMs / 1000)} s; `
        + `once it listened again the first write went through after ${firstOk} ms and the backlog was empty with every issue at its last title after `
        + `${round1(drainMs / 1000)} s (${puts.length} writes, ${requests.length} requests; polled every 50 ms). A Redmine write is ${Math.round(requests.length / Math.max(1, puts.length))} requests `
        + `(read, PUT, read back, journals; the account behind the key once per 10 minutes): at the connectors' default of 10 requests/s the pacer alone would hold this drain to ≥ ${round1(Math.max(0, requests.length - 10) / 10)} s`);
    } finally {
      if (down) await proxy.up().catch(() => undefined);
      undo();
      await proxy.close();
    }
  },
};
