import { describe, expect, it } from 'vitest';
import type { ItemFields } from '../connectors/types';
import { diffFields } from '../db/fields';
import { decidePull, decidePush, effectiveRules, sameValue } from '../rules';

/**
 * A Redmine issue custom field enabled for every project and left empty reads back as
 * `{"Supplier ticket": null}` on every item, while the hub holds `{}`. Unset and empty must be the
 * same value everywhere, or the push rewrites the field forever and convergence never comes.
 */
const base: ItemFields = { title: 'T', description: '', status: 'open', closed: false, priority: null, assignee: null, labels: [], customFields: {} };
const hubOf = (fields: Partial<ItemFields>) => ({ fields: { ...base, ...fields }, id: '0b5c1f7e-0000-4000-8000-000000000000', key: 'WEB-0b5c1f7e' });
const remoteOf = (fields: Partial<ItemFields>) => ({ fields: { ...base, ...fields }, raw: {}, updatedAt: '2026-01-01T00:05:00Z' });

describe('an unset field and an empty one are the same value', () => {
  it.each([
    [{}, { 'Supplier ticket': null }],
    [{}, { 'Supplier ticket': '' }],
    [{ Team: 'core' }, { Team: 'core', 'Supplier ticket': null }],
    ['', null],
    [[], null],
    [null, undefined],
  ])('%j equals %j', (a, b) => {
    expect(sameValue(a as never, b as never)).toBe(true);
    expect(sameValue(b as never, a as never)).toBe(true);
  });

  it.each([
    [{}, { 'Supplier ticket': 'SUP-1' }],
    [{ Team: 'core' }, { Team: 'ops' }],
    ['', 'x'],
    [[], ['a']],
  ])('%j still differs from %j', (a, b) => expect(sameValue(a as never, b as never)).toBe(false));

  for (const policy of ['hub_wins', 'remote_wins', 'newest_wins'] as const) {
    it(`${policy}: a push does not write customFields {} over {"Supplier ticket": null}, and a pull does not take it`, () => {
      const rules = effectiveRules({ fields: [{ hub: 'customFields', remote: 'customFields', kind: 'two_way', policy }] }, 'redmine');
      const hub = hubOf({ customFields: {} });
      const remote = remoteOf({ customFields: { 'Supplier ticket': null } });
      for (const snapshot of [{ fields: { ...base } }, { fields: { ...base, customFields: { 'Supplier ticket': null } } }]) {
        const push = decidePush(rules, { hub, remote, snapshot, hubUpdatedAt: '2026-01-01T00:09:00Z' });
        expect(push.patch).toEqual({});
        expect(push.hubSet).toEqual({});
        const pull = decidePull(rules, { hub, remote, snapshot, hubUpdatedAt: '2026-01-01T00:09:00Z' });
        expect(pull.set).toEqual({});
      }
    });
  }

  it('a story whose fields only gain empty values reports no change (no outbox event)', () => {
    const before = { ...base, customFields: {} };
    expect(diffFields(before, { ...base, customFields: { 'Supplier ticket': null } })).toEqual([]);
    expect(diffFields({ ...base, priority: '' }, { ...base, priority: null })).toEqual([]);
    expect(diffFields(before, { ...base, customFields: { 'Supplier ticket': 'SUP-1' } })).toHaveLength(1);
  });
});
