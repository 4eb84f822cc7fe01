import { describe, expect, it } from 'vitest';
import type { ItemFields } from '../connectors/types';
import { decideCreate, decidePull, decidePush, effectiveRules, type EffectiveRules } from '../rules';

/** The reasons the decisions give for each write: what the explain log stores (rule, policy, base/hub/remote, outcome). */
const base: ItemFields = { title: 'T0', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} };
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const hubOf = (fields: Partial<ItemFields>) => ({ fields: { ...base, ...fields }, id: '0b5c1f7e-0000-4000-8000-000000000000', key: 'WEB-0b5c1f7e' });
const remoteOf = (fields: Partial<ItemFields>, updatedAt = at(5)) => ({ fields: { ...base, ...fields }, raw: {} as never, updatedAt });
const rules = (policy: string, extra: unknown[] = []): EffectiveRules =>
  effectiveRules({ fields: [{ hub: 'title', remote: 'title', kind: 'two_way', policy }, ...extra] }, 'github');
const snapshot = { fields: { ...base } };

describe('decision reasons (explain log)', () => {
  it('a pull of a remote-only change gives the rule, the policy and the three values', () => {
    const pull = decidePull(rules('hub_wins'), { hub: hubOf({}), remote: remoteOf({ title: 'remote' }), snapshot, hubUpdatedAt: at(1) });
    expect(pull.set).toEqual({ title: 'remote' });
    expect(pull.reasons).toEqual([{
      field: 'title', remoteField: 'title', rule: 'two_way', policy: 'hub_wins', base: 'T0', hub: 'T0', remote: 'remote',
      target: 'hub', written: 'remote', outcome: 'remote changed since the last sync', conflict: false,
    }]);
  });

  it('a pull of a field changed on both sides says how the policy settled it, written or kept', () => {
    const input = { hub: hubOf({ title: 'hub' }), remote: remoteOf({ title: 'remote' }, at(5)), snapshot, hubUpdatedAt: at(9) };
    expect(decidePull(rules('remote_wins'), input).reasons).toEqual([expect.objectContaining({
      base: 'T0', hub: 'hub', remote: 'remote', target: 'hub', written: 'remote', conflict: true, outcome: 'conflict: remote wins (remote_wins)',
    })]);
    expect(decidePull(rules('hub_wins'), input).reasons).toEqual([expect.objectContaining({
      base: 'T0', hub: 'hub', remote: 'remote', target: 'none', written: null, conflict: true, outcome: 'conflict: hub wins (hub_wins): the hub keeps its value',
    })]);
    expect(decidePull(rules('newest_wins'), input).reasons[0]).toMatchObject({ target: 'none', outcome: 'conflict: hub wins (newest_wins: the hub edit is newer): the hub keeps its value' });
  });

  it('no conflict is logged when both sides changed to the same value', () => {
    const pull = decidePull(rules('hub_wins'), { hub: hubOf({ title: 'same' }), remote: remoteOf({ title: 'same' }), snapshot, hubUpdatedAt: at(9) });
    expect(pull.reasons).toEqual([]);
  });

  it('a push gives a reason for each field it writes to the remote and each it takes into the hub', () => {
    const set = rules('hub_wins', [{ hub: 'description', remote: 'description', kind: 'two_way', policy: 'remote_wins' }, { hub: 'key', remote: 'labels', kind: 'to_remote' }]);
    const push = decidePush(set, {
      hub: hubOf({ title: 'hub', description: 'hub text' }), remote: remoteOf({ title: 'remote', description: 'remote text' }), snapshot, hubUpdatedAt: at(1),
    });
    expect(push.patch).toEqual({ title: 'hub', labels: ['WEB-0b5c1f7e'] });
    expect(push.hubSet).toEqual({ description: 'remote text' });
    expect(push.reasons).toEqual([
      expect.objectContaining({ field: 'title', target: 'remote', written: 'hub', base: 'T0', hub: 'hub', remote: 'remote', conflict: true, outcome: 'conflict: hub wins (hub_wins)' }),
      expect.objectContaining({ field: 'description', target: 'hub', written: 'remote text', base: '', hub: 'hub text', remote: 'remote text', conflict: true, outcome: 'conflict: remote wins (remote_wins)' }),
      expect.objectContaining({ field: 'key', rule: 'to_remote', policy: null, target: 'remote', written: 'WEB-0b5c1f7e', conflict: false, outcome: 'to_remote: the hub value sent' }),
    ]);
  });

  it('a push of a hub-only change, and a create, are plain field entries', () => {
    const push = decidePush(rules('remote_wins'), { hub: hubOf({ title: 'hub' }), remote: remoteOf({}), snapshot, hubUpdatedAt: at(1) });
    expect(push.reasons).toEqual([expect.objectContaining({ target: 'remote', written: 'hub', conflict: false, outcome: 'hub changed since the last sync' })]);
    const created = decideCreate(rules('remote_wins'), hubOf({ title: 'new' }));
    expect(created.reasons).toEqual([expect.objectContaining({ field: 'title', base: null, hub: 'new', remote: null, target: 'remote', written: 'new', outcome: 'sent with the new remote item' })]);
  });

  it('one_way and default rules say which rule wrote', () => {
    const set = effectiveRules({ fields: [{ hub: 'title', remote: 'title', kind: 'one_way' }, { hub: 'priority', remote: 'priority', kind: 'default', default: 'Normal' }] }, 'github');
    const pull = decidePull(set, { hub: hubOf({}), remote: remoteOf({ title: 'mirror' }), snapshot, hubUpdatedAt: at(1) });
    expect(pull.reasons.map((r) => [r.field, r.rule, r.outcome, r.written])).toEqual([
      ['title', 'one_way', 'one_way: the remote value mirrored', 'mirror'],
      ['priority', 'default', 'default: the remote is empty, the rule default set', 'Normal'],
    ]);
  });
});
