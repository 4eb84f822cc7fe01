/**
 * One convergence schedule on the real stack: a fresh project bound to two fresh remotes with the
 * schedule's rules, its initial stories synced, then its commands run one after another (pushes and
 * unawaited pulls run alongside them, as they would in production).
 */
import { randomBytes } from 'node:crypto';
import type { ItemFields } from '../../../connectors/types';
import { defaultFieldRules } from '../../../rules';
import type { Stack } from '../scenario';
import type { Command, Schedule, Who } from './commands';
import { pull, settle, type Bound } from './quiesce';
import { JIRA_ASSIGNEES, REDMINE_ASSIGNEES, type Remote, type Side } from './remotes';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One edit a command made, in the terms of the side that made it (`target`: story id, or remote id on that side). */
export interface Edit { who: Who; target: string; field: string; value: unknown }

export interface World extends Bound {
  schedule: Schedule;
  edits: Edit[];
  /** What each command did, for the failure report. */
  log: string[];
}

/** Hub assignees ↔ the remote's own user names: Redmine's by name, Jira Cloud's by accountId; GitHub logins are the hub's. */
const ASSIGNEE_MAPS: Partial<Record<Remote['connector'], Array<{ hub: string; remote: string }>>> = {
  redmine: REDMINE_ASSIGNEES.map(({ hub, remote: name }) => ({ hub, remote: name })),
  jira: JIRA_ASSIGNEES.map(({ hub, remote: accountId }) => ({ hub, remote: accountId })),
};

/** The binding's rules: the connector's default fields, each with the schedule's policy (assignees through ASSIGNEE_MAPS). */
function rulesFor(remote: Remote, policies: Record<string, string>) {
  const assignees = ASSIGNEE_MAPS[remote.connector];
  return {
    fields: defaultFieldRules(remote.connector).map((r) => ({
      ...r,
      policy: policies[r.hub] ?? 'remote_wins',
      ...(assignees && r.hub === 'assignee' ? { map: assignees } : {}),
    })),
  };
}

export async function startWorld(stack: Stack, remotes: Record<Side, Remote>, schedule: Schedule): Promise<World> {
  const key = `C${randomBytes(3).toString('hex').toUpperCase()}`;
  const project = await stack.post('/projects', { key, name: `convergence ${key}` });
  const bindings = {} as Record<Side, string>;
  for (const side of ['A', 'B'] as const) {
    const r = remotes[side];
    const connection = await stack.post('/connections', { connector: r.connector, name: `${side} ${key}`, config: r.config, secrets: r.secrets });
    const binding = await stack.post('/bindings', { projectId: project.id, connectionId: connection.id, scope: r.scope, pullIntervalSeconds: 3600 });
    const res = await stack.api.call('PUT', `/bindings/${binding.id}/rules`, rulesFor(r, schedule.policies[side]));
    if (res.status !== 200) throw new Error(`PUT rules → ${res.status}: ${await res.text()}`);
    bindings[side] = binding.id;
  }
  const w: World = { stack, projectId: project.id, bindings, remotes, lastPull: { A: 0, B: 0 }, schedule, edits: [], log: [] };

  for (const [i, who] of schedule.initial.entries()) {
    if (who === 'hub') await stack.post(`/projects/${project.id}/stories`, { title: `hub story ${i}`, description: 'made in the hub' });
    else await remotes[who].createItem(`${who} story ${i}`);
  }
  for (const side of ['A', 'B'] as const) {
    const { run } = await stack.initialSync(bindings[side], 90_000);
    if (run.status !== 'completed') throw new Error(`initial sync of ${side}: ${JSON.stringify(run)}`);
  }
  await settle(w);
  return w;
}

async function hubStories(w: World): Promise<Json[]> {
  return (await w.stack.get(`/projects/${w.projectId}/stories?limit=500`)).items as Json[];
}

const pick = <T>(list: T[], index: number): T | undefined => list[index % Math.max(1, list.length)];

/** A hub edit through the API with the story's current version; a 409 (someone else wrote meanwhile) re-reads and retries. */
async function editHub(w: World, storyId: string, set: Partial<ItemFields>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { version } = await w.stack.get(`/stories/${storyId}`);
    const res = await w.stack.api.call('PATCH', `/stories/${storyId}`, { version, ...set });
    if (res.status === 200) return;
    if (res.status !== 409 || attempt >= 10) throw new Error(`PATCH /stories/${storyId} → ${res.status}: ${await res.text()}`);
    w.log.push(`  409 on version ${version}, retrying`);
  }
}

function noteEdits(w: World, who: Who, target: string, set: Partial<ItemFields>): void {
  for (const [field, value] of Object.entries(set)) {
    if (field === 'closed') continue;
    w.edits.push({ who, target, field, value: field === 'status' ? { status: set.status, closed: set.closed } : value });
  }
}

export async function runCommand(w: World, c: Command, n: number): Promise<void> {
  const before = w.log.length;
  // Wall-clock times line up with the rows' timestamps when a failure is read.
  w.log.push(`${n}. ${new Date().toISOString().slice(11, 23)} ${JSON.stringify(c)}`);
  switch (c.op) {
    case 'editHub': {
      const story = pick(await hubStories(w), c.story);
      if (!story) break;
      await editHub(w, story.id, c.set);
      noteEdits(w, 'hub', story.id, c.set);
      w.log[before] += ` → story ${story.id}`;
      break;
    }
    case 'editRemote': {
      const id = pick(await w.remotes[c.side].itemIds(), c.item);
      if (!id) break;
      await w.remotes[c.side].edit(id, c.set);
      noteEdits(w, c.side, id, c.set);
      w.log[before] += ` → item ${id}`;
      break;
    }
    case 'commentHub': {
      const story = pick(await hubStories(w), c.story);
      if (story) await w.stack.post(`/stories/${story.id}/comments`, { body: `hub note ${n}` });
      break;
    }
    case 'commentRemote': {
      const id = pick(await w.remotes[c.side].itemIds(), c.item);
      if (id) await w.remotes[c.side].comment(id, `${c.side} note ${n}`);
      break;
    }
    case 'createHub':
      await w.stack.post(`/projects/${w.projectId}/stories`, { title: `hub story ${n}` });
      break;
    case 'createRemote':
      await w.remotes[c.side].createItem(`${c.side} story ${n}`);
      break;
    case 'pull':
      await pull(w, c.side, c.wait);
      break;
    case 'settle':
      await settle(w);
      break;
    case 'restartWorker':
      await w.stack.restartWorker();
      break;
  }
}
