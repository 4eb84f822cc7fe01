import type { Snapshot } from '../db/fields';
import { sameJson } from '../rules';
import type { ItemFields } from '../connectors/types';

// Write-ahead for remote writes that create something (an item, a comment, a file). Its pending link is
// committed before the write, so a retry after a crash finds it and looks for the earlier write (by marker,
// by body, by name) instead of writing twice (I1); a pull that meets that write first adopts it the same way.

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

/** The steps of one write-ahead remote write; each table's queries stay in db/, each remote call with its caller. */
export interface PendingWrite<L, R> {
  /** Commits the pending link, or finds the one an earlier attempt left (`fresh: false`). */
  begin(): Promise<{ link: L; fresh: boolean }>;
  /** After an earlier attempt: what it wrote on the remote, if it got that far. */
  find(link: L): Promise<R | null | undefined>;
  /** The remote write itself; undefined when there is nothing to write after all. */
  write(link: L, fresh: boolean): Promise<R | undefined>;
  /** Records on the link what the remote now holds (`found`: an earlier attempt's write, adopted). */
  settle(link: L, result: R, found: boolean): Promise<void>;
}

/** begin → find an earlier write, or write → settle. Returns what was written or found, or undefined when nothing was. */
export async function writeAhead<L, R>(steps: PendingWrite<L, R>): Promise<{ link: L; result: R; found: boolean } | undefined> {
  const { link, fresh } = await steps.begin();
  const earlier = fresh ? undefined : ((await steps.find(link)) ?? undefined);
  const result = earlier ?? (await steps.write(link, fresh));
  if (result === undefined) return undefined;
  await steps.settle(link, result, earlier !== undefined);
  return { link, result, found: earlier !== undefined };
}
