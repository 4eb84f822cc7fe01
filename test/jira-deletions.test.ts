import { randomBytes } from 'node:crypto';
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindings, externalLinks, stories } from '../db/schema';
import { eventually } from './support/harness';
import { startJiraDouble, type JiraDouble } from './support/jira-double';
import { contractCheck } from './support/jira-contract';
import { startStack, type Stack } from './support/scenario';

/**
 * Jira deletions come from an id-only sweep (`fields=id`) after pulls, paced by DELETION_SWEEP_MINUTES
 * (an hour here, the default), not only after an initial sync's full listing.
 */
describe.each(['cloud', 'datacenter'] as const)('Jira %s deletion sweep (Jira double, real Temporal and Postgres)', (deployment) => {
  let stack: Stack;
  let jira: JiraDouble;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let issueIds: string[];
  const contract = contractCheck(deployment);
  const searchPath = deployment === 'cloud' ? '/rest/api/3/search/jql' : '/rest/api/2/search';
  const issuePath = (id: string) => `/rest/api/${deployment === 'cloud' ? 3 : 2}/issue/${id}`;

  const storyOf = async (remoteId: string) => {
    const [row] = await stack.database.db.select({ id: stories.id, deletedAt: stories.deletedAt }).from(stories)
      .innerJoin(externalLinks, eq(externalLinks.storyId, stories.id))
      .where(and(eq(externalLinks.bindingId, bound.binding.id), eq(externalLinks.remoteId, remoteId)));
    return row;
  };
  const idSweeps = () => jira.requests({ method: 'GET', path: searchPath }).filter((r) => r.query.fields === 'id');
  /** The last sweep, moved back past the pacing interval, so the next pull sweeps. */
  const sweepIsDue = () => stack.database.db.update(bindings).set({ lastSweptAt: sql`now() - interval '2 hours'` }).where(eq(bindings.id, bound.binding.id));

  beforeAll(async () => {
    jira = await startJiraDouble({ deployment });
    jira.observe((e) => contract.check(e));
    const key = `D${randomBytes(3).toString('hex').toUpperCase().replace(/[0-9]/g, (d) => 'ABCDEFGHIJ'[Number(d)]!)}`;
    jira.createProject(key);
    issueIds = jira.seed(key, 6);
    stack = await startStack();
    bound = await stack.bind('jira', { baseUrl: jira.url, deployment, overlapSeconds: 5 }, jira.secrets, key);
    expect((await stack.initialSync(bound.binding.id)).run.status).toBe('completed');
  }, 120_000);
  afterAll(async () => {
    // Every answer of the double, id-only pages included, matched the published model of Jira's API.
    expect(contract.violations).toEqual([]);
    await stack?.stop();
    await jira?.close();
  });

  it('an initial sync sweeps ids, and a pull within the interval does not sweep again', async () => {
    const [row] = await stack.database.db.select({ at: bindings.lastSweptAt }).from(bindings).where(eq(bindings.id, bound.binding.id));
    expect(row!.at).toBeInstanceOf(Date);
    jira.deleteIssue(issueIds[5]!);
    jira.resetRequests();
    const run = await stack.pullNow(bound.binding.id);
    expect(run.status).toBe('completed');
    expect(run.result.deleted).toBeUndefined();
    expect(idSweeps()).toEqual([]);
    expect((await storyOf(issueIds[5]!))!.deletedAt).toBeNull();
  });

  it('a due sweep after a pull soft-deletes the issues Jira no longer has, reading by key only those', async () => {
    jira.deleteIssue(issueIds[0]!);
    await sweepIsDue();
    jira.resetRequests();
    const run = await stack.pullNow(bound.binding.id);
    expect(run).toMatchObject({ status: 'completed', result: { deleted: 2 } });
    expect(idSweeps().length).toBeGreaterThan(0);
    // Only the two missing issues are read one by one; the sweep named every other.
    const reads = jira.requests({ method: 'GET', path: /\/issue\/\d+$/ }).map((r) => r.path);
    expect(reads.sort()).toEqual([issuePath(issueIds[0]!), issuePath(issueIds[5]!)].sort());
    expect((await storyOf(issueIds[0]!))!.deletedAt).toBeInstanceOf(Date);
    expect((await storyOf(issueIds[5]!))!.deletedAt).toBeInstanceOf(Date);
    expect((await storyOf(issueIds[1]!))!.deletedAt).toBeNull();
  });

  it('an issue the lagging search does not show yet is read by key and kept', async () => {
    jira.setSearchLag(10 * 60_000);
    try {
      const story = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Created in the hub, not yet searchable' });
      const remoteId = await eventually(async () => {
        const [link] = await stack.database.db.select({ remoteId: externalLinks.remoteId }).from(externalLinks)
          .where(and(eq(externalLinks.storyId, story.id), isNotNull(externalLinks.remoteId)));
        return link?.remoteId;
      }, 60_000, 200);
      await sweepIsDue();
      jira.resetRequests();
      const run = await stack.pullNow(bound.binding.id);
      expect(run).toMatchObject({ status: 'completed', result: { deleted: 0 } });
      expect(idSweeps().length).toBeGreaterThan(0);
      expect(jira.requests({ method: 'GET', path: issuePath(remoteId!) }).length).toBeGreaterThan(0);
      expect(await stack.database.db.$count(stories, and(eq(stories.id, story.id), isNull(stories.deletedAt)))).toBe(1);
    } finally {
      jira.setSearchLag(0);
    }
  });
});
