import { describe, expect, it } from 'vitest';
import { isGenericStatus, isPermanentError, stateMap } from '@trackbridge/sdk';
import { toIssuePatch } from '../../connectors/github/mapping';

const acme = stateMap({ open: ['New', 'In progress'], closed: ['Done', "Won't do"], service: 'Acme' });
const tiny = stateMap({ open: 'open', closed: 'closed' });

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('stateMap', () => {
  it('reads a remote state as the hub holds it: its listed spelling and side; an unlisted one as it is, open unless told', () => {
    expect(acme.toHub('in PROGRESS')).toEqual({ status: 'In progress', closed: false });
    expect(acme.toHub("won't do")).toEqual({ status: "Won't do", closed: true });
    expect(acme.toHub('Triage')).toEqual({ status: 'Triage', closed: false });
    expect(stateMap({ open: 'active', closed: 'archived', unlisted: 'closed' }).toHub('deleted')).toEqual({ status: 'deleted', closed: true });
    expect(acme.statuses).toEqual([
      { name: 'New', closed: false }, { name: 'In progress', closed: false }, { name: 'Done', closed: true }, { name: "Won't do", closed: true },
    ]);
  });

  it('writes the state a status names, in any case, unless the item is already in it', () => {
    expect(acme.toRemote({ status: 'in progress', closed: false })).toBe('In progress');
    expect(acme.toRemote({ status: 'DONE' })).toBe('Done');
    expect(acme.toRemote({ status: 'In progress' }, 'in progress')).toBeUndefined();
    expect(acme.toRemote({ status: 'Done' }, 'In progress')).toBe('Done');
  });

  it('takes "open", "closed" or a bare closed flag as any state of that side: the current one, else the first', () => {
    expect(acme.toRemote({ closed: true })).toBe('Done');
    expect(acme.toRemote({ closed: false })).toBe('New');
    expect(acme.toRemote({ status: 'closed' })).toBe('Done');
    expect(acme.toRemote({ status: 'Open', closed: false })).toBe('New');
    expect(acme.toRemote({ status: 'open', closed: false }, 'In progress')).toBeUndefined();
    expect(acme.toRemote({ closed: true }, "won't do")).toBeUndefined();
    expect(acme.toRemote({ closed: false }, 'Triage')).toBeUndefined();
    // A remote whose states are called open and closed: those names are its states.
    expect(tiny.toRemote({ status: 'open' })).toBe('open');
    expect(tiny.toRemote({ status: 'Closed' })).toBe('closed');
  });

  it('lets closed decide the side when a status says otherwise or is another tracker\'s', () => {
    expect(tiny.toRemote({ status: 'open', closed: true })).toBe('closed');
    expect(acme.toRemote({ status: 'Done', closed: false })).toBe('New');
    expect(acme.toRemote({ status: 'In Review', closed: true })).toBe('Done');
    expect(acme.toRemote({ status: 'In Review', closed: false }, 'In progress')).toBeUndefined();
  });

  it('asks for nothing when a change has neither status nor closed, and refuses a status it cannot place', () => {
    expect(acme.toRemote({})).toBeUndefined();
    const error = thrown(() => acme.toRemote({ status: 'In Review' }));
    expect(isPermanentError(error)).toBe(true);
    expect((error as Error).message).toBe(`Acme has no state "In Review" (its states: "New", "In progress", "Done", "Won't do")`);
  });

  it('refuses a map with an empty side or a state on both', () => {
    expect(() => stateMap({ open: [], closed: 'done' })).toThrow('stateMap: the remote needs at least one open state');
    expect(() => stateMap({ open: ['todo', 'Done'], closed: 'done', service: 'Acme' })).toThrow(`stateMap: Acme's state "done" is listed twice`);
  });

  it('says which names are the generic ones', () => {
    expect(['open', 'Closed', 'OPEN'].map(isGenericStatus)).toEqual([true, true, true]);
    expect(isGenericStatus('Done')).toBe(false);
  });

  it("is GitHub's state mapping: closed decides, a status names open or closed in any case, anything else is refused", () => {
    expect(toIssuePatch({ closed: true })).toEqual({ state: 'closed', state_reason: 'completed' });
    expect(toIssuePatch({ status: 'Open' })).toEqual({ state: 'open' });
    expect(toIssuePatch({ status: 'open', closed: true })).toMatchObject({ state: 'closed' });
    expect(toIssuePatch({ status: 'In progress', closed: false })).toEqual({ state: 'open' });
    expect(toIssuePatch({ title: 'x' })).toEqual({ title: 'x' });
    expect(thrown(() => toIssuePatch({ status: 'In progress' }))).toMatchObject({ message: 'GitHub has no state "In progress" (its states: "open", "closed")' });
  });
});
