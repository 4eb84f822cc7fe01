// The hub's open/closed as a remote's own states: what a connector maps on every read and write.
import { PermanentError } from './errors';
import type { ItemFields } from './types';

/** A story's state as the hub holds it: the status name, and whether it counts as closed. */
export type HubState = Pick<ItemFields, 'status' | 'closed'>;

/** "open" and "closed" say only which kind of status (GitHub has nothing else), not which one. */
export const isGenericStatus = (name: string): boolean => name.toLowerCase() === 'open' || name.toLowerCase() === 'closed';

export interface StateMapOptions<S extends string> {
  /** The remote's open states; the first is where a bare "open" (or `closed: false`) goes. */
  open: S | readonly S[];
  /** The remote's closed states; the first is where a bare "closed" (or `closed: true`) goes. */
  closed: S | readonly S[];
  /** How a remote state on neither list reads in the hub (default: open). The map never writes one. */
  unlisted?: 'open' | 'closed';
  /** Names the remote in errors, e.g. `Acme has no state "Doing"` (default: "the remote"). */
  service?: string;
}

/** What `stateMap` returns: the two directions, and the states for `RemoteMetadata.statuses`. */
export interface StateMap<S extends string> {
  /** Every listed state with its side, the open ones first. */
  readonly statuses: ReadonlyArray<{ name: S; closed: boolean }>;
  /** A remote state as the hub holds it: its listed spelling (any case matches) and its side. */
  toHub(state: string): HubState;
  /**
   * The remote state a change asks for, or undefined when it asks for none: no status and no `closed`,
   * or a state `current` already satisfies. `closed` decides the side when given, else the status does.
   * A status naming a state of that side (any case) is that state; "open", "closed" or a status named on
   * the other side ask for any state of the side: `current` if it is one, else the side's first. A status
   * the remote lacks, with no `closed` to go by, is a PermanentError naming the remote's states.
   */
  toRemote(change: Partial<HubState>, current?: string): S | undefined;
}

/**
 * Maps the hub's generic open/closed to a remote's states and back, case-insensitively:
 * `stateMap({ open: ['New', 'In progress'], closed: ['Done', "Won't do"] })`.
 */
export function stateMap<const S extends string>(options: StateMapOptions<S>): StateMap<S> {
  const list = (states: S | readonly S[]): readonly S[] => (typeof states === 'string' ? [states as S] : (states as readonly S[]));
  const sides = { open: list(options.open), closed: list(options.closed) };
  const service = options.service ?? 'the remote';
  const byName = new Map<string, { name: S; closed: boolean }>();
  for (const [side, states] of [['open', sides.open], ['closed', sides.closed]] as const) {
    if (!states.length) throw new Error(`stateMap: ${service} needs at least one ${side} state`);
    for (const name of states) {
      const key = name.toLowerCase();
      if (byName.has(key)) throw new Error(`stateMap: ${service}'s state "${name}" is listed twice`);
      byName.set(key, { name, closed: side === 'closed' });
    }
  }
  const statuses = [...byName.values()];
  const find = (state: string) => byName.get(state.toLowerCase());
  const isClosed = (state: string) => find(state)?.closed ?? options.unlisted === 'closed';

  return {
    statuses,
    toHub(state) {
      const listed = find(state);
      return listed ? { status: listed.name, closed: listed.closed } : { status: state, closed: options.unlisted === 'closed' };
    },
    toRemote({ status, closed }, current) {
      const named = status === undefined ? undefined : find(status);
      const generic = status !== undefined && isGenericStatus(status);
      const side = closed ?? (generic ? status.toLowerCase() === 'closed' : named?.closed);
      if (side === undefined) {
        if (status === undefined) return undefined;
        throw new PermanentError(`${service} has no state ${JSON.stringify(status)} (its states: ${statuses.map((s) => `"${s.name}"`).join(', ')})`);
      }
      const ofSide = named?.closed === side ? named.name : undefined;
      // A state asked for by its own name.
      if (ofSide !== undefined && !generic) return current !== undefined && find(current)?.name === ofSide ? undefined : ofSide;
      // Any state of the side will do: the one it is in, else one of that name ("open" itself), else the first.
      if (current !== undefined && isClosed(current) === side) return undefined;
      return ofSide ?? (side ? sides.closed[0] : sides.open[0]);
    },
  };
}
