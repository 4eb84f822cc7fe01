/**
 * What a convergence schedule is made of: the remotes, the per-field policies of both bindings, the
 * stories that exist before the initial syncs, and the commands that follow. Plain data, so
 * fast-check prints a failing schedule readably and replays it from its seed and path.
 */
import fc from 'fast-check';
import type { ItemFields } from '../../../connectors/types';
import { JIRA_ASSIGNEES, REDMINE_ASSIGNEES, type Connector, type Side } from './remotes';

export type Policy = 'remote_wins' | 'hub_wins' | 'newest_wins';
export type Who = 'hub' | Side;

export type Command =
  | { op: 'editHub'; story: number; set: Partial<ItemFields> }
  | { op: 'editRemote'; side: Side; item: number; set: Partial<ItemFields> }
  | { op: 'commentHub'; story: number }
  | { op: 'commentRemote'; side: Side; item: number }
  | { op: 'createHub' }
  | { op: 'createRemote'; side: Side }
  /** `wait: false` only triggers it: the pull runs alongside the commands that follow. */
  | { op: 'pull'; side: Side; wait: boolean }
  /** Wait until the outbox is relayed and every push is idle. */
  | { op: 'settle' }
  /** Stop the worker (and its relay) and start a new one on the same task queue. */
  | { op: 'restartWorker' };

export interface Schedule {
  /** Per binding: the policy of each two-way field. */
  policies: Record<Side, Record<string, Policy>>;
  /** Stories before the initial syncs, each created where it says. */
  initial: Who[];
  commands: Command[];
  /**
   * With Jira bound: how late the double's search shows a write, drawn per schedule up to 60 s (Atlassian
   * documents seconds to minutes). Absent in older printed schedules: E2E_JIRA_LAG_MS or 1 s then.
   */
  searchLagMs?: number;
}

/** The two-way fields each connector syncs by default (rules/defaults.ts), the ones a policy applies to. */
export const FIELDS: Record<Connector, string[]> = {
  github: ['title', 'description', 'status', 'labels', 'assignee'],
  redmine: ['title', 'description', 'status', 'priority', 'assignee', 'customFields'],
  jira: ['title', 'description', 'status', 'priority', 'assignee', 'labels', 'customFields'],
};

/**
 * Jira's search lag, 0 to 60 s: a third of the schedules lag longer than any schedule's commands take
 * (every search during them is stale), a third lag a few seconds (some pulls see part of the writes), and
 * the rest anywhere in between. The seed draws it, so a printed seed or schedule replays the same lag.
 */
const SEARCH_LAG = fc.oneof(fc.integer({ min: 40_000, max: 60_000 }), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 60_000 }));

const policy = fc.constantFrom<Policy>('remote_wins', 'hub_wins', 'newest_wins');
const word = fc.constantFrom('alpha', 'beta', 'gamma', 'delta');

/**
 * Values each side can hold. Hub statuses carry a closed flag that matches Redmine's own for the same
 * name; with Jira bound, hub statuses are Jira's (To Do / In Progress / Done) or the generic open/closed.
 * A hub status Jira's workflow has no status for ("New", "Closed") is moved to a status of its category
 * and reads back under Jira's name: Jira cannot hold it, so such schedules would only test that.
 */
function values(who: Who, kinds: Record<Side, Connector>): fc.Arbitrary<Partial<ItemFields>>[] {
  const kind = who === 'hub' ? 'hub' : kinds[who];
  const redmine = kinds.A === 'redmine' || kinds.B === 'redmine';
  const jira = kinds.A === 'jira' || kinds.B === 'jira';
  const status = {
    hub: jira
      ? [{ status: 'open', closed: false }, { status: 'closed', closed: true }, { status: 'In Progress', closed: false }, { status: 'Done', closed: true }, { status: 'To Do', closed: false }]
      : [{ status: 'open', closed: false }, { status: 'closed', closed: true }, { status: 'In Progress', closed: false }, { status: 'Closed', closed: true }, { status: 'New', closed: false }],
    github: [{ status: 'open', closed: false }, { status: 'closed', closed: true }],
    redmine: [{ status: 'New', closed: false }, { status: 'In Progress', closed: false }, { status: 'Closed', closed: true }, { status: 'Rejected', closed: true }],
    jira: [{ status: 'To Do', closed: false }, { status: 'In Progress', closed: false }, { status: 'Done', closed: true }],
  }[kind];
  const assignees = kind === 'redmine' ? [...REDMINE_ASSIGNEES.map((u) => u.remote), null] : kind === 'jira' ? [...JIRA_ASSIGNEES.map((u) => u.remote), null] : ['alice', 'bob', null];
  // Redmine's default priorities, or Jira's (Highest … Lowest; a new Jira issue is Medium).
  const priorities = jira ? ['Low', 'Medium', 'High'] : ['Low', 'Normal', 'High'];
  return [
    word.map((w) => ({ title: `${who} ${w}` })),
    word.map((w) => ({ description: `${who} says ${w}` })),
    fc.constantFrom(...status),
    fc.constantFrom(...assignees).map((assignee) => ({ assignee })),
    ...(kind === 'redmine' ? [] : [fc.subarray(['bug', 'ui', 'api']).map((labels) => ({ labels: [...labels].sort() }))]),
    ...(kind === 'redmine' || kind === 'jira' || (kind === 'hub' && (redmine || jira)) ? [fc.constantFrom(...priorities).map((priority) => ({ priority }))] : []),
  ];
}

/** Schedules over remotes A and B of the given kinds, with `length` commands. */
export function schedules(kinds: Record<Side, Connector>, length: { min: number; max: number }): fc.Arbitrary<Schedule> {
  const side = fc.constantFrom<Side>('A', 'B');
  const policies = (connector: Connector) => fc.record(Object.fromEntries(FIELDS[connector].map((f) => [f, policy])) as Record<string, typeof policy>);
  const editRemote = side.chain((s) => fc.record({ item: fc.nat(7), set: fc.oneof(...values(s, kinds)) }).map((c) => ({ op: 'editRemote' as const, side: s, ...c })));
  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ story: fc.nat(7), set: fc.oneof(...values('hub', kinds)) }).map((c) => ({ op: 'editHub' as const, ...c })) },
    { weight: 5, arbitrary: editRemote },
    { weight: 1, arbitrary: fc.nat(7).map((story) => ({ op: 'commentHub' as const, story })) },
    { weight: 1, arbitrary: fc.record({ side, item: fc.nat(7) }).map((c) => ({ op: 'commentRemote' as const, ...c })) },
    { weight: 1, arbitrary: fc.oneof(fc.constant<Command>({ op: 'createHub' }), side.map((s): Command => ({ op: 'createRemote', side: s }))) },
    { weight: 3, arbitrary: fc.record({ side, wait: fc.boolean() }).map((c) => ({ op: 'pull' as const, ...c })) },
    { weight: 1, arbitrary: fc.constant<Command>({ op: 'settle' }) },
    { weight: 1, arbitrary: fc.constant<Command>({ op: 'restartWorker' }) },
  );
  const jira = kinds.A === 'jira' || kinds.B === 'jira';
  return fc.record({
    policies: fc.record({ A: policies(kinds.A), B: policies(kinds.B) }),
    initial: fc.array(fc.constantFrom<Who>('hub', 'A', 'B'), { minLength: 2, maxLength: 3 }),
    commands: fc.array(command, { minLength: length.min, maxLength: length.max }),
    ...(jira ? { searchLagMs: SEARCH_LAG } : {}),
  });
}
