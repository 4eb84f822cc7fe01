/**
 * What must hold once a schedule is quiet, checked against the real hub (API) and the real remotes:
 * one item per story on each remote, every two-way field agreeing through the binding's maps, every
 * comment exactly once everywhere, and a field edited on one side only holding that side's last edit.
 */
import type { ItemFields } from '../../../connectors/types';
import type { EffectiveRules, FieldRule } from '../../../rules';
import { translate } from '../../../rules/maps';
import { readFields, readHub, sameValue, type Value } from '../../../rules/values';
import type { RemoteState, Side } from './remotes';
import type { World } from './world';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface HubStory { id: string; fields: ItemFields; links: Record<string, string | null>; comments: string[] }

/** The hub, both remotes and both bindings' effective rules and warnings, read once. */
export async function observe(w: World) {
  const listed = (await w.stack.get(`/projects/${w.projectId}/stories?limit=500`)).items as Json[];
  const stories: HubStory[] = [];
  for (const s of listed) {
    const full = await w.stack.get(`/stories/${s.id}`);
    const comments = (await w.stack.get(`/stories/${s.id}/comments`)).items as Json[];
    stories.push({
      id: s.id,
      fields: { title: s.title, description: s.description, status: s.status, closed: s.closed, priority: s.priority, assignee: s.assignee, labels: s.labels, customFields: s.customFields },
      links: Object.fromEntries((full.links as Json[]).map((l) => [l.bindingId, l.remoteId])),
      comments: comments.map((c) => c.body as string),
    });
  }
  const side = async (s: Side) => ({
    items: await w.remotes[s].read(),
    rules: (await w.stack.get(`/bindings/${w.bindings[s]}/rules`)).effective as EffectiveRules,
    warnings: (await w.stack.get(`/bindings/${w.bindings[s]}`)).warnings as string[],
  });
  return { stories, A: await side('A'), B: await side('B') };
}

export type Observed = Awaited<ReturnType<typeof observe>>;

const norm = (body: string) => body.replace(/\r\n?/g, '\n').trim();
const bag = (bodies: string[]) => JSON.stringify(bodies.map(norm).sort());

export function problems(w: World, o: Observed): string[] {
  const out: string[] = [];
  for (const s of ['A', 'B'] as const) {
    const { items, rules, warnings } = o[s];
    const linked = new Map<string, string>();
    for (const story of o.stories) {
      const remoteId = story.links[w.bindings[s]];
      if (!remoteId) { out.push(`story ${story.id} "${story.fields.title}" has no item on ${s}`); continue; }
      if (linked.has(remoteId)) out.push(`${s} item ${remoteId} is linked to stories ${linked.get(remoteId)} and ${story.id}`);
      linked.set(remoteId, story.id);
      const item = items.get(remoteId);
      if (!item) { out.push(`story ${story.id} links to ${s} item ${remoteId}, which does not exist`); continue; }
      out.push(...fieldProblems(s, story, item, rules, warnings));
      if (bag(item.comments) !== bag(story.comments)) {
        out.push(`comments of story ${story.id} on ${s} (item ${remoteId}): ${JSON.stringify(item.comments)} vs hub ${JSON.stringify(story.comments)}`);
      }
    }
    // A second item for one story (I1) shows up here: nothing links to it.
    for (const [id, item] of items) if (!linked.has(id)) out.push(`${s} item ${id} "${item.fields.title}" belongs to no story`);
  }
  for (const story of o.stories) {
    if (new Set(story.comments.map(norm)).size !== story.comments.length) out.push(`story ${story.id} has duplicate comments: ${JSON.stringify(story.comments)}`);
  }
  out.push(...lostEdits(w, o));
  return out;
}

function fieldProblems(side: Side, story: HubStory, item: RemoteState, rules: EffectiveRules, warnings: string[]): string[] {
  const out: string[] = [];
  for (const rule of rules.fields.filter((r) => r.kind === 'two_way')) {
    const hubValue = readHub({ fields: story.fields, id: story.id, key: '' }, rule.hub);
    const mapped = translate(rule, hubValue, 'remote');
    if (!mapped.ok) {
      // An unmapped value is not written but must be reported in the binding's status.
      if (!mapped.unmapped.every((u) => warnings.includes(u))) out.push(`story ${story.id}.${rule.hub} is unmapped on ${side} and not reported`);
      continue;
    }
    const remoteValue = readFields(item.fields, rule.remote);
    if (!sameValue(mapped.value, remoteValue)) {
      out.push(`story ${story.id}.${rule.hub} (${rule.policy ?? 'remote_wins'}): hub ${JSON.stringify(hubValue)} vs ${side} item ${item.remoteId} ${JSON.stringify(remoteValue)}`);
    }
  }
  return out;
}

/** A field edited on one side only ends with that side's last edit, in hub terms. */
function lostEdits(w: World, o: Observed): string[] {
  const storyOf = (who: Side, remoteId: string) => o.stories.find((s) => s.links[w.bindings[who]] === remoteId);
  const bySide = new Map<string, { who: string; value: Value; story: HubStory }[]>();
  for (const e of w.edits) {
    const story = e.who === 'hub' ? o.stories.find((s) => s.id === e.target) : storyOf(e.who, e.target);
    if (!story) continue; // reported above: an item with no story
    let value = e.value as Value;
    if (e.who !== 'hub') {
      const rule = o[e.who].rules.fields.find((r: FieldRule) => r.remote === e.field && r.kind === 'two_way');
      if (!rule) continue;
      const mapped = translate(rule, value, 'hub');
      if (!mapped.ok) continue;
      value = mapped.value;
    }
    const key = `${story.id}.${e.field}`;
    bySide.set(key, [...(bySide.get(key) ?? []), { who: e.who, value, story }]);
  }
  const out: string[] = [];
  for (const [key, list] of bySide) {
    if (new Set(list.map((e) => e.who)).size !== 1) continue;
    const last = list.at(-1)!;
    const field = key.slice(key.indexOf('.') + 1);
    const hubValue = readFields(last.story.fields, field);
    if (!sameValue(hubValue, last.value)) out.push(`${key} was edited on ${last.who} only, last to ${JSON.stringify(last.value)}, but the hub has ${JSON.stringify(hubValue)}`);
  }
  return out;
}
