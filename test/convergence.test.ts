import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ItemFields } from '../connectors/types';
import { effectiveRules, sameValue } from '../rules';
import { commentProblems, createModel, disagreements, type SyncModel } from './support/sync-model';

/**
 * Convergence over the pure decision core: random schedules of hub edits, remote edits, remote
 * creates, comments, pulls, pushes, pushes that crash after their remote write and pushes that die
 * after their write-ahead, over a project bound to a GitHub-like and a Redmine-like remote with random
 * per-field policies. Once quiet, the hub and both
 * remotes agree on every two-way field, nothing is duplicated, a field edited on one side only keeps
 * that edit, and two more sync cycles write nothing.
 *
 * Replay a failure with the printed seed: FC_SEED=<seed> [FC_PATH=<path>] npx vitest run test/convergence.test.ts
 */
const RUNS = Number(process.env.FC_RUNS ?? 3000);
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const path = process.env.FC_PATH;

const policy = fc.constantFrom('remote_wins', 'hub_wins', 'newest_wins');
const ruleSets = fc.record({ title: policy, description: policy, status: policy, assignee: policy, labels: policy }).chain((a) =>
  fc.record({ title: policy, description: policy, status: policy, assignee: policy }).map((b) => ({ a, b })));

const hubStatus = fc.constantFrom<Partial<ItemFields>>(
  { status: 'open', closed: false }, { status: 'closed', closed: true }, { status: 'In Progress', closed: false }, { status: 'Closed', closed: true }, { status: 'New', closed: false });
const statusOf: Record<'A' | 'B', fc.Arbitrary<Partial<ItemFields>>> = {
  A: fc.constantFrom({ status: 'open', closed: false }, { status: 'closed', closed: true }),
  B: fc.constantFrom({ status: 'New', closed: false }, { status: 'In Progress', closed: false }, { status: 'Resolved', closed: true }, { status: 'Closed', closed: true }),
};
const word = fc.constantFrom('alpha', 'beta', 'gamma', 'delta');
const hubAssignee = fc.constantFrom('alice', 'bob', null);
const remoteAssignee = { A: fc.constantFrom('alice', 'bob', null), B: fc.constantFrom('Alice A.', 'Bob B.', null) };

const field = (who: 'hub' | 'A' | 'B'): fc.Arbitrary<Partial<ItemFields>> => fc.oneof(
  word.map((w) => ({ title: `${who} ${w}` })),
  word.map((w) => ({ description: `${who} says ${w}` })),
  who === 'hub' ? hubStatus : statusOf[who],
  (who === 'hub' ? hubAssignee : remoteAssignee[who]).map((assignee) => ({ assignee })),
  ...(who === 'B' ? [] : [fc.subarray(['bug', 'ui', 'api']).map((labels) => ({ labels: [...labels].sort() }))]),
);

type Step =
  | { op: 'editHub' | 'editA' | 'editB'; story: number; set: Partial<ItemFields> }
  | { op: 'commentHub' | 'commentA' | 'commentB'; story: number }
  | { op: 'createHub' | 'createA' | 'createB' }
  | { op: 'pullA' | 'pullB' | 'pushA' | 'pushB' | 'crashA' | 'crashB' | 'dieA' | 'dieB' };

const remoteSide = fc.constantFrom<'A' | 'B'>('A', 'B');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ story: fc.nat(5), set: field('hub') }).map((s) => ({ op: 'editHub' as const, ...s })) },
  { weight: 4, arbitrary: remoteSide.chain((r) => fc.record({ story: fc.nat(5), set: field(r) }).map((s) => ({ op: `edit${r}` as const, ...s }))) },
  { weight: 1, arbitrary: fc.constantFrom('commentHub', 'commentA', 'commentB').chain((op) => fc.nat(5).map((story) => ({ op, story }) as Step)) },
  { weight: 1, arbitrary: fc.constantFrom<Step>({ op: 'createHub' }, { op: 'createA' }, { op: 'createB' }) },
  { weight: 5, arbitrary: fc.constantFrom<Step>({ op: 'pullA' }, { op: 'pullB' }, { op: 'pushA' }, { op: 'pushB' }, { op: 'crashA' }, { op: 'crashB' }, { op: 'dieA' }, { op: 'dieB' }) },
);

interface Edit { side: 'hub' | 'A' | 'B'; value: unknown }

function run(model: SyncModel, steps: Step[], edits: Map<string, Edit[]>) {
  let n = 0;
  const note = (side: Edit['side'], story: number, set: Partial<ItemFields>) => {
    const ids = side === 'hub' ? [...model.hub.keys()] : [...model.byName(side).links.entries()].map(([s]) => s);
    // Remote items map to stories through links; an item not yet linked has no story to blame.
    const storyId = side === 'hub' ? ids[story % Math.max(1, ids.length)] : storyOfItem(model, side, story);
    if (!storyId) return;
    for (const [k, v] of Object.entries(set)) {
      if (k === 'closed') continue;
      const key = `${storyId}.${k}`;
      edits.set(key, [...(edits.get(key) ?? []), { side, value: k === 'status' ? { status: set.status, closed: set.closed } : v }]);
    }
  };
  for (const s of steps) {
    n++;
    switch (s.op) {
      case 'editHub': note('hub', s.story, s.set); model.editHub(s.story, s.set); break;
      case 'editA': case 'editB': note(s.op === 'editA' ? 'A' : 'B', s.story, s.set); model.editRemote(s.op === 'editA' ? 'A' : 'B', s.story, s.set); break;
      case 'commentHub': model.commentHub(s.story, `hub comment ${n}`); break;
      case 'commentA': case 'commentB': model.commentRemote(s.op === 'commentA' ? 'A' : 'B', s.story, `${s.op} ${n}`); break;
      case 'createHub': model.createHubStory(`hub story ${n}`); break;
      case 'createA': case 'createB': model.createRemote(s.op === 'createA' ? 'A' : 'B', `remote story ${n}`); break;
      case 'pullA': model.pull('A'); break;
      case 'pullB': model.pull('B'); break;
      case 'pushA': model.push('A'); break;
      case 'pushB': model.push('B'); break;
      case 'crashA': model.push('A', 'after-write'); break;
      case 'crashB': model.push('B', 'after-write'); break;
      case 'dieA': model.push('A', 'before-write'); break;
      case 'dieB': model.push('B', 'before-write'); break;
    }
  }
}

/** The story an item index on a remote is linked to (the model picks items by index the same way). */
function storyOfItem(model: SyncModel, side: 'A' | 'B', index: number): string | undefined {
  const b = model.byName(side);
  const items = [...b.items.keys()];
  const id = items[index % Math.max(1, items.length)];
  // An item whose create crashed before the link write belongs to the story its marker names.
  return [...b.links.entries()].find(([, l]) => l.remoteId === id)?.[0] ?? b.items.get(id ?? '')?.marker?.slice(`m-${side}-`.length);
}

const assigneeMap = [{ hub: 'alice', remote: 'Alice A.' }, { hub: 'bob', remote: 'Bob B.' }];

function buildModel(p: { a: Record<string, string>; b: Record<string, string> }) {
  const rule = (f: string, pol: string, extra = {}) => ({ hub: f, remote: f, kind: 'two_way', policy: pol, ...extra });
  const rulesA = effectiveRules({ fields: Object.entries(p.a).map(([f, pol]) => rule(f, pol)) }, 'github');
  const rulesB = effectiveRules({ fields: Object.entries(p.b).map(([f, pol]) => rule(f, pol, f === 'assignee' ? { map: assigneeMap } : {})) }, 'redmine');
  const model = createModel(rulesA, rulesB);
  model.createHubStory('first');
  model.createHubStory('second');
  model.cycle();
  return model;
}

describe('convergence of the rules core (fast-check, in-memory remotes)', () => {
  it(`converges on ${RUNS} random schedules`, () => {
    const started = Date.now();
    const details = fc.check(
      fc.property(ruleSets, fc.array(step, { minLength: 5, maxLength: 40 }), (policies, steps) => {
        const model = buildModel(policies);
        const edits = new Map<string, Edit[]>();
        run(model, steps, edits);
        let cycles = 0;
        for (let before = -1; before !== model.writes && cycles < 8; cycles++) {
          before = model.writes;
          model.cycle();
        }
        const quiet = model.writes;
        model.cycle();
        model.cycle();
        expect(model.writes - quiet, 'writes in two more cycles once quiet').toBe(0);
        const problems = [...disagreements(model), ...commentProblems(model)].join('; ');
        expect(problems, problems).toBe('');
        // A field edited on one side only ends with that side's last edit.
        for (const [key, list] of edits) {
          if (new Set(list.map((e) => e.side)).size !== 1) continue;
          const [storyId, name] = key.split('.') as [string, keyof ItemFields];
          const story = model.hub.get(storyId)!;
          const last = list.at(-1)!;
          const hubValue = name === 'status' ? { status: story.fields.status, closed: story.fields.closed } : story.fields[name];
          const expected = last.side === 'B' && name === 'assignee' ? assigneeMap.find((m) => m.remote === last.value)?.hub ?? null : last.value;
          expect(sameValue(hubValue as never, expected as never), `${key} edited on ${last.side} only: hub ${JSON.stringify(hubValue)}, last edit ${JSON.stringify(expected)}`).toBe(true);
        }
      }),
      { numRuns: RUNS, ...(seed !== undefined ? { seed } : {}), ...(path ? { path } : {}) },
    );
    console.info(`[measure] convergence (pure core): ${details.numRuns} schedules in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${details.seed}`);
    if (details.failed) {
      throw new Error(`convergence failed; replay with FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath ?? ''}\n${fc.defaultReportMessage(details) ?? ''}\n${String((details.errorInstance as Error | undefined)?.message ?? '')}`);
    }
  }, 120_000);
});
