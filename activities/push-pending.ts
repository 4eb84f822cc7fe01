import type { Snapshot } from '../db/fields';
import { sameJson } from '../rules';
import type { ItemFields } from '../connectors/types';

/**
 * Folds into the snapshot's fields the pending values (a write-ahead) that the remote now holds: an
 * earlier push wrote them and died before recording it, so they are what was last synced. Without
 * this, the next write-ahead replaces them with its own pending values, and should that push die
 * before its write too, our own earlier write on the remote looks like a remote edit, which wins
 * under remote_wins and puts an old hub value back over the newer edits (found by the kills suite).
 */
export function settlePending(snapshot: Snapshot | null, remote: ItemFields): Snapshot | null {
  if (!snapshot?.pending) return snapshot;
  const landed = Object.entries(snapshot.pending).filter(([field, value]) => sameJson(value, remote[field as keyof ItemFields]));
  if (!landed.length) return snapshot;
  const { pending, ...rest } = snapshot;
  const left = Object.entries(pending).filter(([field]) => !landed.some(([f]) => f === field));
  return { ...rest, fields: { ...snapshot.fields, ...Object.fromEntries(landed) }, ...(left.length ? { pending: Object.fromEntries(left) } : {}) };
}
