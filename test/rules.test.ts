import { describe, expect, it } from 'vitest';
import type { ItemFields } from '../connectors/types';
import { createdSnapshot, decideCreate, decidePull, decidePush, effectiveRules, outgoingBody, RuleSetSchema, type EffectiveRules } from '../rules';

const base: ItemFields = { title: 'T0', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const hubOf = (fields: Partial<ItemFields>) => ({ fields: { ...base, ...fields }, id: '0b5c1f7e-0000-4000-8000-000000000000', key: 'WEB-0b5c1f7e' });
const remoteOf = (fields: Partial<ItemFields>, updatedAt = at(5), raw: Record<string, unknown> = {}) =>
  ({ fields: { ...base, ...fields }, raw: raw as never, updatedAt });
const rulesWith = (set: unknown): EffectiveRules => effectiveRules(set, 'github');

describe('two_way conflict matrix (C1)', () => {
  const cases = [
    // policy, hub changed, remote changed, hub newer → expected final title
    ...(['remote_wins', 'hub_wins', 'newest_wins'] as const).flatMap((policy) => [
      { policy, hub: false, remote: false, hubNewer: false, expected: 'T0' },
      { policy, hub: true, remote: false, hubNewer: false, expected: 'hub' },
      { policy, hub: false, remote: true, hubNewer: true, expected: 'remote' },
    ]),
    { policy: 'remote_wins', hub: true, remote: true, hubNewer: true, expected: 'remote' },
    { policy: 'hub_wins', hub: true, remote: true, hubNewer: false, expected: 'hub' },
    { policy: 'newest_wins', hub: true, remote: true, hubNewer: true, expected: 'hub' },
    { policy: 'newest_wins', hub: true, remote: true, hubNewer: false, expected: 'remote' },
  ] as const;

  for (const c of cases) {
    it(`${c.policy}: hub ${c.hub ? 'changed' : 'same'}, remote ${c.remote ? 'changed' : 'same'}${c.hub && c.remote ? (c.hubNewer ? ', hub newer' : ', remote newer') : ''} → ${c.expected}`, () => {
      const rules = rulesWith({ fields: [{ hub: 'title', remote: 'title', kind: 'two_way', policy: c.policy }] });
      const snapshot = { fields: { ...base } };
      const hub = hubOf({ title: c.hub ? 'hub' : 'T0' });
      const remote = remoteOf({ title: c.remote ? 'remote' : 'T0' }, at(5));
      const hubUpdatedAt = c.hubNewer ? at(9) : at(1);
      const want = c.expected;

      // Pull first, then push (the push sees the hub as the pull left it and the snapshot it stored).
      const pull = decidePull(rules, { hub, remote, snapshot, hubUpdatedAt });
      const hubAfter = hubOf({ title: pull.set.title ?? hub.fields.title });
      const push = decidePush(rules, { hub: hubAfter, remote, snapshot: pull.snapshot, hubUpdatedAt });
      expect(push.patch.title ?? remote.fields.title).toBe(want);
      expect(hubAfter.fields.title).toBe(want);

      // Push first (reading the remote fresh), then pull: same winner.
      const push1 = decidePush(rules, { hub, remote, snapshot, hubUpdatedAt });
      const remoteAfter = remoteOf({ title: push1.patch.title ?? remote.fields.title }, at(10));
      const hubAfterPush = hubOf({ title: push1.hubSet.title ?? hub.fields.title });
      const pull1 = decidePull(rules, { hub: hubAfterPush, remote: remoteAfter, snapshot: push1.nextSnapshot(remoteAfter, true), hubUpdatedAt });
      expect(pull1.set.title ?? hubAfterPush.fields.title).toBe(want);
      expect(remoteAfter.fields.title).toBe(want);
      if (!c.hub && !c.remote) {
        expect(pull.set).toEqual({});
        expect(push.patch).toEqual({});
      }
    });
  }

  it("two pushes interrupted in a row: the value the first one landed stays ours after the second one's write-ahead, so a pull does not take it back over a later hub edit", () => {
    const rules = rulesWith({ fields: [{ hub: 'title', remote: 'title', kind: 'two_way', policy: 'newest_wins' }] });
    const snapshot = { fields: { ...base } };
    // Push A writes the hub's v5; its write lands at minute 6, and the worker dies before it records the snapshot.
    const a = decidePush(rules, { hub: hubOf({ title: 'v5' }), remote: remoteOf({}), snapshot, hubUpdatedAt: at(1) });
    expect(a.patch).toEqual({ title: 'v5' });
    const landed = remoteOf({ title: 'v5' }, at(6));
    // Meanwhile (minute 4) the hub became v6. Push B reads v5, recognises it as A's, and dies after its write-ahead, before writing.
    const hub = hubOf({ title: 'v6' });
    const b = decidePush(rules, { hub, remote: landed, snapshot: a.writeAhead, hubUpdatedAt: at(4) });
    expect(b.patch).toEqual({ title: 'v6' });
    // The remote still holds A's v5, which no one else wrote: no remote edit, nothing for the hub to take.
    expect(decidePull(rules, { hub, remote: landed, snapshot: b.writeAhead, hubUpdatedAt: at(4) }).set).toEqual({});
    expect(decidePush(rules, { hub, remote: landed, snapshot: b.writeAhead, hubUpdatedAt: at(4) }).patch).toEqual({ title: 'v6' });
  });

  it('a field changed on one side only is never lost when another field conflicts', () => {
    const rules = rulesWith({ fields: [{ hub: 'title', remote: 'title', kind: 'two_way' }, { hub: 'description', remote: 'description', kind: 'two_way', policy: 'hub_wins' }] });
    const snapshot = { fields: { ...base, description: 'd0' } };
    const hub = hubOf({ title: 'hub title', description: 'hub d' });
    const remote = remoteOf({ title: 'T0', description: 'remote d' });
    const push = decidePush(rules, { hub, remote, snapshot, hubUpdatedAt: at(1) });
    expect(push.patch).toEqual({ title: 'hub title', description: 'hub d' });
    const pull = decidePull(rules, { hub, remote, snapshot, hubUpdatedAt: at(1) });
    expect(pull.set).toEqual({});
  });

  it('a description the remote stores in its own markup and reads back reformatted is no remote edit on the next pull (E1)', () => {
    const rules = rulesWith(null);
    const snapshot = { fields: { ...base } };
    const hub = hubOf({ description: '* item\n\n__bold__' });
    const push = decidePush(rules, { hub, remote: remoteOf({}), snapshot, hubUpdatedAt: at(1) });
    expect(push.patch).toEqual({ description: '* item\n\n__bold__' });
    // What Redmine (Textile) gives back, read through fromTextile: the same text in hub form.
    const written = remoteOf({ description: '- item\n\n**bold**' }, at(6));
    const next = push.nextSnapshot(written, true);
    expect(next.fields.description).toBe('- item\n\n**bold**');
    expect(decidePull(rules, { hub, remote: written, snapshot: next, hubUpdatedAt: at(1) }).set).toEqual({});
    // And a later push has nothing to write: the hub text and the remote's mean the same.
    expect(decidePush(rules, { hub, remote: written, snapshot: next, hubUpdatedAt: at(7) }).patch).toEqual({});
  });

  it('takes a remote-only change into the hub at push time; if the hub moved meanwhile, the snapshot keeps it for the next pull', () => {
    const rules = rulesWith(null);
    const snapshot = { fields: { ...base } };
    const hub = hubOf({ description: 'edited in the hub' });
    const remote = remoteOf({ title: 'edited remotely' });
    const push = decidePush(rules, { hub, remote, snapshot, hubUpdatedAt: at(1) });
    expect(push.patch).toEqual({ description: 'edited in the hub' });
    expect(push.hubSet).toEqual({ title: 'edited remotely' });
    const written = remoteOf({ title: 'edited remotely', description: 'edited in the hub' }, at(6));
    expect(push.nextSnapshot(written, true).fields.title).toBe('edited remotely');
    const next = push.nextSnapshot(written, false);
    expect(next.fields.title).toBe('T0');
    const pull = decidePull(rules, { hub, remote: written, snapshot: next, hubUpdatedAt: at(1) });
    expect(pull.set).toEqual({ title: 'edited remotely' });
  });
});

describe('after a write', () => {
  it("an edit made on the remote between our write and its answer is not taken for ours: the next pull still brings it in", () => {
    const rules = rulesWith(null);
    const snapshot = { fields: { ...base, status: 'open' } };
    const hub = hubOf({ title: 'hub title', status: 'closed', closed: true });
    const before = remoteOf({});
    const push = decidePush(rules, { hub, remote: before, snapshot, hubUpdatedAt: at(1) });
    expect(push.patch).toMatchObject({ title: 'hub title', closed: true });
    // The remote's answer (Redmine reads the issue again after its PUT) already holds someone's edits:
    // of the title we just wrote, and of the description we did not write. The status echoes ours, respelt.
    const echoed = remoteOf({ title: 'their title', description: 'their description', status: 'Closed', closed: true }, at(6));
    const next = push.nextSnapshot(echoed, true);
    expect(next.fields).toMatchObject({ title: 'hub title', description: '', status: 'Closed', closed: true });
    const hubAfter = hubOf({ title: 'hub title', status: 'closed', closed: true });
    const pull = decidePull(rules, { hub: hubAfter, remote: echoed, snapshot: next, hubUpdatedAt: at(1) });
    expect(pull.set).toEqual({ title: 'their title', description: 'their description' });
  });
});

describe('after a create', () => {
  it('a value the remote filled in on its own (a default priority) reaches the hub instead of leaving a silent disagreement', () => {
    const rules = effectiveRules(null, 'redmine');
    const hub = hubOf({ title: 'New story' });
    const sent = decideCreate(rules, hub).fields;
    const created = remoteOf({ title: 'New story', status: 'New', priority: 'Normal', customFields: { Severity: 'Minor' } });
    const snapshot = createdSnapshot(rules, sent, created);
    const pull = decidePull(rules, { hub, remote: created, snapshot, hubUpdatedAt: at(1) });
    expect(pull.set).toMatchObject({ priority: 'Normal', customFields: { Severity: 'Minor' } });
    // What we did send is ours: the title and the status are not taken back as remote changes.
    expect(pull.set).not.toHaveProperty('title');
    expect(pull.set).not.toHaveProperty('status');
  });

  it("a hub edit made before the next sync wins over the remote's default: the default was no edit", () => {
    const rules = effectiveRules(null, 'redmine');
    const sent = decideCreate(rules, hubOf({ title: 'New story' })).fields;
    const created = remoteOf({ title: 'New story', status: 'New', priority: 'Normal' });
    const snapshot = createdSnapshot(rules, sent, created);
    const edited = hubOf({ title: 'New story', priority: 'Urgent' });
    const push = decidePush(rules, { hub: edited, remote: created, snapshot, hubUpdatedAt: at(1) });
    expect(push.patch).toEqual({ priority: 'Urgent' });
    expect(push.hubSet).toEqual({});
    // Once written, the default is forgotten.
    expect(push.nextSnapshot(remoteOf({ title: 'New story', status: 'New', priority: 'Urgent' }), true).filled).toBeUndefined();
  });
});

describe('the whole custom field map (customFields ↔ customFields) on a project bound to several trackers', () => {
  const rules = effectiveRules(null, 'redmine'); // the default rules carry the whole map two-way
  const jiraOnly = { Team: 'Core', 'Story points': '5' };

  it("a pull takes this remote's fields by name and keeps the other trackers' in the hub", () => {
    const snapshot = { fields: { ...base, customFields: { Severity: 'High' } } };
    const hub = hubOf({ customFields: { ...jiraOnly, Severity: 'High' } });
    const pull = decidePull(rules, { hub, remote: remoteOf({ customFields: { Severity: 'Low' } }), snapshot, hubUpdatedAt: at(1) });
    expect(pull.set.customFields).toEqual({ ...jiraOnly, Severity: 'Low' });
  });

  it("a push writes only the fields this remote has, and a quiet one writes nothing", () => {
    const snapshot = { fields: { ...base, customFields: { Severity: 'High' } } };
    const remote = remoteOf({ customFields: { Severity: 'High' } });
    const quiet = decidePush(rules, { hub: hubOf({ customFields: { ...jiraOnly, Severity: 'High' } }), remote, snapshot, hubUpdatedAt: at(9) });
    expect(quiet.patch).toEqual({});
    const edit = decidePush(rules, { hub: hubOf({ customFields: { ...jiraOnly, Severity: 'Critical' } }), remote, snapshot, hubUpdatedAt: at(9) });
    expect(edit.patch).toEqual({ customFields: { Severity: 'Critical' } });
  });

  it('a named rule for one field still wins over the whole map for that field', () => {
    const named = rulesWith({ fields: [{ hub: 'customFields', remote: 'customFields', kind: 'two_way' }, { hub: 'customFields.Severity', remote: 'customFields.Severity', kind: 'one_way' }] });
    const snapshot = { fields: { ...base, customFields: { Severity: 'High', Area: 'Web' } } };
    const push = decidePush(named, { hub: hubOf({ customFields: { Severity: 'Critical', Area: 'API' } }), remote: remoteOf({ customFields: { Severity: 'High', Area: 'Web' } }), snapshot, hubUpdatedAt: at(9) });
    expect(push.patch).toEqual({ customFields: { Area: 'API' } });
  });
});

describe('scoped labels: a label prefix carries one field (a select on a tracker with labels only)', () => {
  const rules = rulesWith({ fields: [
    { hub: 'labels', remote: 'labels', kind: 'two_way' },
    { hub: 'customFields.Severity', remote: 'labels', prefix: 'severity: ', kind: 'two_way' },
  ] });
  const synced = { fields: { ...base, labels: ['bug', 'severity: High'] } };

  it('a pull reads the prefixed label as the field and leaves it out of the labels', () => {
    const pull = decidePull(rules, { hub: null, remote: remoteOf({ labels: ['bug', 'severity: Low', 'Severity: typo'] }), snapshot: null });
    // The prefix is matched as written: "Severity: typo" is an ordinary label.
    expect(pull.set).toMatchObject({ labels: ['Severity: typo', 'bug'], customFields: { Severity: 'Low' } });
    expect(pull.snapshot.fields.labels).toEqual(['Severity: typo', 'bug', 'severity: Low']);
    expect(pull.reasons.map((r) => r.remoteField)).toContain('labels (severity: …)');
  });

  it('a push writes the field as its one label beside the free labels, and a quiet one writes nothing', () => {
    const remote = remoteOf({ labels: ['bug', 'severity: High'] });
    expect(decidePush(rules, { hub: hubOf({ labels: ['bug'], customFields: { Severity: 'High' } }), remote, snapshot: synced, hubUpdatedAt: at(9) }).patch).toEqual({});
    const edit = decidePush(rules, { hub: hubOf({ labels: ['bug'], customFields: { Severity: 'Critical' } }), remote, snapshot: synced, hubUpdatedAt: at(9) });
    expect(edit.patch).toEqual({ labels: ['bug', 'severity: Critical'] });
    const after = edit.nextSnapshot(remoteOf({ labels: ['bug', 'severity: Critical'] }), true);
    expect(after.fields.labels).toEqual(['bug', 'severity: Critical']);
    // A free label edit keeps the prefixed one; clearing the field drops its label.
    expect(decidePush(rules, { hub: hubOf({ labels: ['bug', 'ui'], customFields: { Severity: 'High' } }), remote, snapshot: synced, hubUpdatedAt: at(9) }).patch)
      .toEqual({ labels: ['bug', 'severity: High', 'ui'] });
    expect(decidePush(rules, { hub: hubOf({ labels: ['bug'], customFields: { Severity: null } }), remote, snapshot: synced, hubUpdatedAt: at(9) }).patch)
      .toEqual({ labels: ['bug'] });
  });

  it('a create sends the field as its label', () => {
    const created = decideCreate(rules, hubOf({ labels: ['bug'], customFields: { Severity: 'High' } }));
    expect(created.fields.labels).toEqual(['bug', 'severity: High']);
    expect(created.fields.customFields).toEqual({});
  });

  it('refuses a prefix on anything but remote labels, and on a hub side that is not one field', () => {
    const bad = RuleSetSchema.safeParse({ fields: [{ hub: 'priority', remote: 'priority', prefix: 'p: ', kind: 'two_way' }, { hub: 'labels', remote: 'labels', prefix: 'x', kind: 'two_way' }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['fields.0.prefix', 'fields.1.hub']);
  });
});

describe('rule kinds (pure)', () => {
  it('one_way mirrors the remote and never writes it; to_remote writes the hub key into a custom field', () => {
    const rules = rulesWith({ fields: [{ hub: 'title', remote: 'title', kind: 'one_way' }, { hub: 'key', remote: 'customFields.Supplier ticket', kind: 'to_remote' }] });
    const hub = hubOf({ title: 'hub edit' });
    const remote = remoteOf({ title: 'from remote', customFields: { 'Supplier ticket': null } });
    expect(decidePull(rules, { hub, remote, snapshot: { fields: remote.fields } }).set).toEqual({ title: 'from remote' });
    expect(decidePush(rules, { hub, remote, snapshot: { fields: remote.fields }, hubUpdatedAt: at(1) }).patch).toEqual({ customFields: { 'Supplier ticket': 'WEB-0b5c1f7e' } });
  });

  it('default fills an unset hub value, with the rule default when the remote is empty (also on creation)', () => {
    const rules = rulesWith({ fields: [{ hub: 'title', remote: 'title', kind: 'two_way' }, { hub: 'priority', remote: '/priority/name', kind: 'default', default: 'Normal' }] });
    expect(decidePull(rules, { hub: null, remote: remoteOf({}, at(1), { priority: null }), snapshot: null }).set.priority).toBe('Normal');
    expect(decidePull(rules, { hub: null, remote: remoteOf({}, at(1), { priority: { id: 4, name: 'High' } }), snapshot: null }).set.priority).toBe('High');
    expect(decidePull(rules, { hub: hubOf({ priority: 'Low' }), remote: remoteOf({}, at(1), { priority: { name: 'High' } }), snapshot: null }).set.priority).toBeUndefined();
  });

  it('maps status both ways with a fallback, and reports an unmapped value instead of dropping it silently', () => {
    const rules = rulesWith({ fields: [{ hub: 'status', remote: 'status', kind: 'two_way', map: [{ hub: 'In Progress', remote: 'Assigned' }, { hub: 'Done', remote: 'Closed' }] }, { hub: 'labels', remote: 'labels', kind: 'two_way', map: [{ hub: 'bug', remote: 'defect' }], fallback: { hub: 'triage' } }] });
    const snapshot = { fields: { ...base, status: 'New' } };
    const pull = decidePull(rules, { hub: hubOf({}), remote: remoteOf({ status: 'Assigned', labels: ['defect', 'weird'] }), snapshot });
    expect(pull.set).toMatchObject({ status: 'In Progress', closed: false, labels: ['bug', 'triage'] });
    const unmapped = decidePull(rules, { hub: hubOf({}), remote: remoteOf({ status: 'Feedback' }), snapshot });
    expect(unmapped.set.status).toBeUndefined();
    expect(unmapped.warnings).toEqual(['status: no hub value for "Feedback"']);
    // The unmapped remote value stays "unseen" in the snapshot, so the push does not overwrite it either.
    expect(unmapped.snapshot.fields.status).toBe('New');
    expect(decidePush(rules, { hub: hubOf({}), remote: remoteOf({ status: 'Feedback' }), snapshot: unmapped.snapshot, hubUpdatedAt: at(1) }).patch).toEqual({});
  });

  it('a generic hub status matches any remote status of the same kind', () => {
    const rules = rulesWith(null);
    const push = decidePush(rules, { hub: hubOf({ status: 'In Progress' }), remote: remoteOf({ status: 'open' }), snapshot: { fields: base }, hubUpdatedAt: at(1) });
    expect(push.patch).toEqual({});
    expect(decideCreate(rules, hubOf({ status: 'Closed', closed: true })).fields).toMatchObject({ status: 'Closed', closed: true });
  });

  it('message_from_field turns a remote field change into a hub comment; default_message greets a new story', () => {
    const rules = rulesWith({ message_from_field: [{ remote: 'customFields.Analysis', headline: 'Analysis:' }], default_message: { body: 'Imported from the customer tracker' } });
    const remote = remoteOf({ customFields: { Analysis: 'Root cause: cache' } });
    expect(decidePull(rules, { hub: hubOf({}), remote, snapshot: { fields: base } }).messages).toEqual(['Analysis:\n\nRoot cause: cache']);
    expect(decidePull(rules, { hub: hubOf({}), remote, snapshot: { fields: remote.fields } }).messages).toEqual([]);
    expect(decidePull(rules, { hub: null, remote: remoteOf({}), snapshot: null }).messages).toEqual(['Imported from the customer tracker']);
  });

  it('messages: only tagged hub comments leave, with the tag stripped', () => {
    const rules = rulesWith({ messages: { tag: '#customer', stripTag: true } });
    expect(outgoingBody(rules, 'internal note')).toBeNull();
    expect(outgoingBody(rules, 'Fixed in 2.1 #customer')).toBe('Fixed in 2.1');
    // Nothing left once the tag is stripped, or only blanks: there is no comment to send (Jira and GitHub refuse an empty body).
    expect(outgoingBody(rules, '#customer')).toBeNull();
    expect(outgoingBody(rulesWith({}), ' \n\t')).toBeNull();
  });

  it('rejects bad rule sets naming the field at fault', () => {
    const bad = RuleSetSchema.safeParse({ fields: [{ hub: 'title', remote: '/custom_fields/3/value', kind: 'two_way' }, { hub: 'id', remote: 'title', kind: 'one_way' }] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['fields.0.remote', 'fields.1.hub']);
  });
});
