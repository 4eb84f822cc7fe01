/**
 * An in-memory model of the sync engine around the pure rules core: a hub, two remotes (one with
 * GitHub's open/closed statuses, one with Redmine's named statuses), links with snapshots, an
 * incremental pull with an overlapping watermark, event-driven pushes that read the remote fresh,
 * pushes that crash between the remote write and the snapshot write, and pushes that die after their
 * write-ahead, before the remote write. The convergence property
 * suite drives it with random schedules; the decisions are the product's own (rules/).
 */
import type { ItemFields } from '../../connectors/types';
import { decideCreate, decidePull, decidePush, sameValue, snapshotOf, type EffectiveRules, type HubView, type RuleSnapshot } from '../../rules';
import { translate } from '../../rules/maps';
import { readFields, readHub } from '../../rules/values';

export type RemoteKind = 'github' | 'redmine';
/** Where a push dies, if it does: after its remote write, or after its write-ahead and before the write. */
export type Crash = false | 'after-write' | 'before-write';
export type Side = 'hub' | 'A' | 'B';

interface Comment { id: string; body: string; origin: Side }
/** `sent`: what the create sent (the pending link's write-ahead snapshot in the product). */
export interface Item { id: string; fields: ItemFields; sent: ItemFields; updatedAt: number; comments: Comment[]; marker: string | null }
interface Story { id: string; fields: ItemFields; updatedAt: number; comments: Comment[] }
interface Binding {
  name: 'A' | 'B';
  kind: RemoteKind;
  rules: EffectiveRules;
  items: Map<string, Item>;
  links: Map<string, { remoteId: string; snapshot: RuleSnapshot }>;
  commentLinks: Map<string, string>;
  watermark: number;
  pending: Set<string>;
  warnings: Set<string>;
}

const REDMINE_STATUSES = [{ name: 'New', closed: false }, { name: 'In Progress', closed: false }, { name: 'Resolved', closed: true }, { name: 'Closed', closed: true }];
const EMPTY: ItemFields = { title: '', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} };

/** Applies a patch the way the remote would: GitHub knows only open/closed; Redmine resolves generic statuses. */
function applyPatch(kind: RemoteKind, fields: ItemFields, patch: Partial<ItemFields>): ItemFields {
  const out = { ...fields, ...patch };
  if (kind === 'github') {
    const closed = patch.closed ?? (patch.status !== undefined ? patch.status === 'closed' : fields.closed);
    return { ...out, status: closed ? 'closed' : 'open', closed, labels: [...out.labels].sort(), priority: null, customFields: {} };
  }
  out.labels = [];
  if (patch.status !== undefined || patch.closed !== undefined) {
    const named = REDMINE_STATUSES.find((s) => s.name.toLowerCase() === (patch.status ?? '').toLowerCase());
    const wantClosed = patch.closed ?? patch.status?.toLowerCase() === 'closed';
    const keep = fields !== EMPTY && fields.closed === wantClosed;
    const target = named ?? (keep ? { name: fields.status, closed: fields.closed } : REDMINE_STATUSES.find((s) => s.closed === wantClosed)!);
    out.status = target.name;
    out.closed = target.closed;
  }
  return out;
}

export function createModel(rulesA: EffectiveRules, rulesB: EffectiveRules) {
  let clock = 1;
  let ids = 0;
  let writes = 0;
  const hub = new Map<string, Story>();
  const bindings: Binding[] = [
    { name: 'A', kind: 'github', rules: rulesA, items: new Map(), links: new Map(), commentLinks: new Map(), watermark: 0, pending: new Set(), warnings: new Set() },
    { name: 'B', kind: 'redmine', rules: rulesB, items: new Map(), links: new Map(), commentLinks: new Map(), watermark: 0, pending: new Set(), warnings: new Set() },
  ];
  const iso = (t: number) => new Date(t * 1000).toISOString();
  const tick = () => ++clock;
  const view = (s: Story): HubView => ({ fields: s.fields, id: s.id, key: `P-${s.id}` });
  const remoteView = (i: Item) => ({ fields: i.fields, raw: { id: i.id }, updatedAt: iso(i.updatedAt), commentCount: i.comments.length });
  /** The outbox: a hub change goes to every binding but the one it came from (E1). */
  const emit = (storyId: string, origin: Side) => bindings.forEach((b) => b.name !== origin && b.pending.add(storyId));
  const byName = (name: 'A' | 'B') => bindings.find((b) => b.name === name)!;

  function setHub(story: Story, set: Partial<ItemFields>, origin: Side) {
    const next = { ...story.fields, ...set };
    if (sameValue(next as never, story.fields as never) && JSON.stringify(next) === JSON.stringify(story.fields)) return;
    story.fields = next;
    story.updatedAt = tick();
    writes++;
    emit(story.id, origin);
  }

  function pull(b: Binding) {
    const listed = [...b.items.values()].filter((i) => i.updatedAt >= b.watermark).sort((x, y) => x.updatedAt - y.updatedAt);
    for (const item of listed) {
      let storyId = [...b.links.entries()].find(([, l]) => l.remoteId === item.id)?.[0];
      // A create whose push died before the link write: the pull adopts it by its marker (as sync/pull.ts does).
      const orphanOf = item.marker?.slice(`m-${b.name}-`.length);
      if (!storyId && orphanOf && !b.links.has(orphanOf)) {
        b.links.set(orphanOf, { remoteId: item.id, snapshot: { fields: item.sent } });
        storyId = orphanOf;
      }
      if (!storyId) {
        const d = decidePull(b.rules, { hub: null, remote: remoteView(item), snapshot: null });
        d.warnings.forEach((w) => b.warnings.add(w));
        storyId = `s${++ids}`;
        hub.set(storyId, { id: storyId, fields: { ...EMPTY, ...d.set }, updatedAt: tick(), comments: [] });
        writes++;
        b.links.set(storyId, { remoteId: item.id, snapshot: d.snapshot });
        emit(storyId, b.name);
      } else {
        const story = hub.get(storyId)!;
        const link = b.links.get(storyId)!;
        const d = decidePull(b.rules, { hub: view(story), remote: remoteView(item), snapshot: link.snapshot, hubUpdatedAt: iso(story.updatedAt) });
        d.warnings.forEach((w) => b.warnings.add(w));
        setHub(story, d.set, b.name);
        link.snapshot = d.snapshot;
      }
      const story = hub.get(storyId)!;
      for (const c of item.comments) {
        if ([...b.commentLinks.values()].includes(c.id)) continue;
        const copy: Comment = { id: `c${++ids}`, body: c.body, origin: b.name };
        story.comments.push(copy);
        b.commentLinks.set(copy.id, c.id);
        writes++;
        emit(storyId, b.name);
      }
    }
    b.watermark = Math.max(b.watermark, ...listed.map((i) => i.updatedAt));
  }

  /**
   * One push of one story. `crash: 'after-write'` dies after the remote write, before the snapshot and
   * link writes; `'before-write'` dies after the write-ahead, before the remote write.
   */
  function pushStory(b: Binding, storyId: string, crash: Crash = false) {
    const story = hub.get(storyId)!;
    let link = b.links.get(storyId);
    if (!link) {
      const marker = `m-${b.name}-${storyId}`;
      const adopted = [...b.items.values()].find((i) => i.marker === marker);
      const created = decideCreate(b.rules, view(story));
      const fields = applyPatch(b.kind, EMPTY, created.fields);
      if (crash === 'before-write') return;
      const item = adopted ?? { id: `${b.name}${++ids}`, fields, sent: created.fields, updatedAt: tick(), comments: [], marker };
      if (!adopted) { b.items.set(item.id, item); writes++; }
      if (crash) return;
      link = { remoteId: item.id, snapshot: adopted ? { fields: adopted.sent } : snapshotOf(b.rules, remoteView(item)) };
      b.links.set(storyId, link);
      // An adopted item holds the story as it was at the crashed create: go on to update it (as sync/push.ts does).
      if (adopted) pushStory(b, storyId);
    } else {
      const item = b.items.get(link.remoteId)!;
      const d = decidePush(b.rules, { hub: view(story), remote: remoteView(item), snapshot: link.snapshot, hubUpdatedAt: iso(story.updatedAt) });
      d.warnings.forEach((w) => b.warnings.add(w));
      if (Object.keys(d.patch).length) {
        link.snapshot = d.writeAhead;
        if (crash === 'before-write') return;
        item.fields = applyPatch(b.kind, item.fields, d.patch);
        item.updatedAt = tick();
        writes++;
      }
      if (crash) return;
      setHub(story, d.hubSet, b.name);
      link.snapshot = d.nextSnapshot(remoteView(item), true);
    }
    const item = b.items.get(link.remoteId)!;
    for (const c of story.comments) {
      if (c.origin === b.name || b.commentLinks.has(c.id)) continue;
      const remote: Comment = { id: `rc${++ids}`, body: c.body, origin: 'hub' };
      item.comments.push(remote);
      item.updatedAt = tick();
      writes++;
      b.commentLinks.set(c.id, remote.id);
    }
    b.pending.delete(storyId);
  }

  const push = (b: Binding, crash: Crash = false) => {
    for (const storyId of [...b.pending]) pushStory(b, storyId, crash);
  };

  return {
    hub, bindings, byName,
    get writes() { return writes; },
    createHubStory(title: string) {
      const id = `s${++ids}`;
      hub.set(id, { id, fields: { ...EMPTY, title }, updatedAt: tick(), comments: [] });
      emit(id, 'hub');
    },
    editHub(index: number, set: Partial<ItemFields>) {
      const story = [...hub.values()][index % Math.max(1, hub.size)];
      if (story) setHub(story, set, 'hub');
    },
    commentHub(index: number, body: string) {
      const story = [...hub.values()][index % Math.max(1, hub.size)];
      if (!story) return;
      story.comments.push({ id: `c${++ids}`, body, origin: 'hub' });
      emit(story.id, 'hub');
    },
    editRemote(name: 'A' | 'B', index: number, set: Partial<ItemFields>) {
      const b = byName(name);
      const item = [...b.items.values()][index % Math.max(1, b.items.size)];
      if (!item) return;
      item.fields = applyPatch(b.kind, item.fields, set);
      item.updatedAt = tick();
    },
    commentRemote(name: 'A' | 'B', index: number, body: string) {
      const b = byName(name);
      const item = [...b.items.values()][index % Math.max(1, b.items.size)];
      if (!item) return;
      item.comments.push({ id: `rc${++ids}`, body, origin: name });
      item.updatedAt = tick();
    },
    createRemote(name: 'A' | 'B', title: string) {
      const b = byName(name);
      // A new Redmine issue starts in its tracker's default status, never in a generic one.
      const fields = applyPatch(b.kind, EMPTY, b.kind === 'redmine' ? { title, status: 'New', closed: false } : { title });
      const item: Item = { id: `${name}${++ids}`, fields, sent: fields, updatedAt: tick(), comments: [], marker: null };
      b.items.set(item.id, item);
    },
    pull: (name: 'A' | 'B') => pull(byName(name)),
    push: (name: 'A' | 'B', crash: Crash = false) => push(byName(name), crash),
    /** One sync cycle: pull and push both bindings. */
    cycle() {
      for (const b of bindings) pull(b);
      for (const b of bindings) push(b);
    },
  };
}

export type SyncModel = ReturnType<typeof createModel>;

/** Every two-way field agrees between the hub and each remote (modulo the value maps); unmapped values are reported instead. */
export function disagreements(model: SyncModel): string[] {
  const out: string[] = [];
  for (const b of model.bindings) {
    for (const [storyId, story] of model.hub) {
      const link = b.links.get(storyId);
      if (!link) { out.push(`${storyId} has no item on ${b.name}`); continue; }
      const item = b.items.get(link.remoteId)!;
      for (const rule of b.rules.fields.filter((r) => r.kind === 'two_way')) {
        const hubValue = readHub({ fields: story.fields, id: storyId, key: '' }, rule.hub);
        const mapped = translate(rule, hubValue, 'remote');
        if (!mapped.ok) {
          if (!mapped.unmapped.every((w) => b.warnings.has(w))) out.push(`${storyId}.${rule.hub} unmapped on ${b.name} and not reported`);
          continue;
        }
        const remoteValue = readFields(item.fields, rule.remote);
        if (!sameValue(mapped.value, remoteValue)) out.push(`${storyId}.${rule.hub}: hub ${JSON.stringify(hubValue)} vs ${b.name} ${JSON.stringify(remoteValue)}`);
      }
    }
    const remoteIds = [...b.links.values()].map((l) => l.remoteId);
    if (new Set(remoteIds).size !== remoteIds.length || b.items.size !== model.hub.size) out.push(`${b.name}: ${b.items.size} items for ${model.hub.size} stories`);
  }
  return out;
}

/** Each comment body exists exactly once in the hub and once on each remote. */
export function commentProblems(model: SyncModel): string[] {
  const out: string[] = [];
  for (const [storyId, story] of model.hub) {
    const bodies = story.comments.map((c) => c.body);
    if (new Set(bodies).size !== bodies.length) out.push(`${storyId}: duplicate hub comments`);
    for (const b of model.bindings) {
      const item = b.items.get(b.links.get(storyId)?.remoteId ?? '');
      const remote = (item?.comments ?? []).map((c) => c.body).sort();
      if (JSON.stringify(remote) !== JSON.stringify([...bodies].sort())) out.push(`${storyId} on ${b.name}: ${JSON.stringify(remote)} vs hub ${JSON.stringify(bodies)}`);
    }
  }
  return out;
}
