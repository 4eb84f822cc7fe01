import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, ensureRedmine, getIssue, runRails, type Redmine } from './support/redmine';
import { redmineInstance } from './support/redmine-instance';
import { eventually } from './support/harness';
import { pushSettled } from './support/settle';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('hub → Redmine: backlog during an outage, dead letters (real Redmine)', { timeout: 300_000 }, () => {
  let stack: Stack;
  let redmine: Redmine;
  const outageRedmine = redmineInstance(3107);

  const linkOf = async (storyId: string, bindingId: string) =>
    eventually(async () => (await stack.get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bindingId && l.remoteId)?.remoteId as string | undefined, 60_000);
  const patch = async (id: string, body: Json) => {
    const res = await stack.api.call('PATCH', `/stories/${id}`, body);
    expect(res.status).toBe(200);
    return (await res.json()) as Json;
  };

  beforeAll(async () => {
    redmine = await ensureRedmine();
    await outageRedmine.start();
    stack = await startStack();
  }, 300_000);
  afterAll(async () => {
    await outageRedmine.start().catch(() => undefined);
    await outageRedmine.stop().catch(() => undefined);
    await stack?.stop();
  });

  it('turns a write the remote rejects for good into a dead letter, keeps the rest flowing, and delivers it on retry after the fix', async () => {
    const project = (await createProject(redmine)).identifier;
    const { binding, project: hubProject } = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, project);
    const priority = `Blocker-${Math.random().toString(36).slice(2, 7)}`;
    const bad = await stack.post(`/projects/${hubProject.id}/stories`, { title: 'Needs an unknown priority' });
    const badId = Number(await linkOf(bad.id, binding.id));
    await patch(bad.id, { version: bad.version, priority });
    const letters = await eventually(async () => {
      const l = await stack.get(`/bindings/${binding.id}/dead-letters`);
      return l.items.length ? l.items : undefined;
    });
    expect(letters[0]).toMatchObject({ storyId: bad.id });
    expect(letters[0].error).toMatch(new RegExp(priority));

    const good = await stack.post(`/projects/${hubProject.id}/stories`, { title: 'Keeps flowing' });
    const goodId = Number(await linkOf(good.id, binding.id));
    expect((await getIssue(redmine, goodId)).subject).toBe('Keeps flowing');

    // Fix the mapping on the remote side: the priority now exists.
    await runRails('IssuePriority.create!(name: ENV["PRIORITY"], active: true)', { PRIORITY: priority });
    const retried = await stack.post(`/bindings/${binding.id}/dead-letters/${letters[0].id}/retry`);
    expect(retried.retried).toBe(1);
    await eventually(async () => (await getIssue(redmine, badId)).priority.name === priority, 60_000);
    expect((await stack.get(`/bindings/${binding.id}/dead-letters`)).items).toHaveLength(0);
  });

  it('queues 200 edits across 20 stories while Redmine is down and delivers them in order once it is back', async () => {
    const project = (await createProject(redmine)).identifier;
    const { binding, project: hubProject } = await stack.bind('redmine', { baseUrl: outageRedmine.url, maxRequestsPerSecond: 50 }, { apiKey: redmine.apiKey }, project);
    let stories: Json[] = [];
    for (let i = 0; i < 20; i++) stories.push(await stack.post(`/projects/${hubProject.id}/stories`, { title: `S${i} v0` }));
    const remoteIds = await Promise.all(stories.map((s) => linkOf(s.id, binding.id)));
    // A create writes back what Redmine filled in (its default status and priority) after the link:
    // wait for those pushes to settle, then edit from the versions they left.
    await Promise.all(stories.map((s) => pushSettled(stack, binding.id, s.id as string)));
    stories = await Promise.all(stories.map((s) => stack.get(`/stories/${s.id}`)));

    await outageRedmine.stop();
    const editsStarted = Date.now();
    for (let round = 1; round <= 10; round++) {
      stories = await Promise.all(stories.map((s, i) => patch(s.id, { version: s.version, title: `S${i} v${round}` })));
    }
    const during = await eventually(async () => {
      const b = await stack.get(`/bindings/${binding.id}/backlog`);
      return b.backlogged && b.size > 0 ? b : undefined;
    }, 90_000, 500);
    // The oldest queued event is one of these edits: its age is in seconds and bounded by the time since they began.
    expect(during.oldestEventId).not.toBeNull();
    expect(during.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(during.oldestAgeSeconds).toBeLessThanOrEqual(Math.ceil((Date.now() - editsStarted) / 1000) + 1);

    await outageRedmine.start();
    const recovered = Date.now();
    await eventually(async () => {
      const b = await stack.get(`/bindings/${binding.id}/backlog`);
      return !b.backlogged && b.size === 0 ? b : undefined;
    }, 180_000, 500);
    const seconds = (Date.now() - recovered) / 1000;
    console.info(`[measure] backlog drained after recovery in ${seconds.toFixed(1)} s (200 edits on 20 stories)`);

    for (const [i, remoteId] of remoteIds.entries()) {
      const issue = await getIssue(redmine, Number(remoteId), { include: 'journals' });
      expect(issue.subject).toBe(`S${i} v10`);
      // The remote saw this story's subjects in hub order: every write moves forward, none goes back.
      const rounds = (issue.journals ?? []).flatMap((j) => j.details.filter((d) => d.name === 'subject').map((d) => Number(/v(\d+)$/.exec(d.new_value ?? '')?.[1])));
      expect(rounds.length).toBeGreaterThan(0);
      expect(rounds).toEqual([...rounds].sort((a, b) => a - b));
      expect(rounds.at(-1)).toBe(10);
    }
  });
});
