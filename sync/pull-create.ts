import { randomUUID } from 'node:crypto';
import type { ItemFields, RemoteItem } from '../connectors/types';
import { decidePull, effectiveRules, HUB_DEFAULTS, type EffectiveRules } from '../rules';
import { withTx, type Db } from '../db/client';
import { lockPendingEntry, markImported } from '../db/inbox';
import { insertStoriesFromRemote } from '../db/pulled';
import { addRuleMessages } from '../db/rules';
import { createEntry, crossingEntry, recordExplain } from '../db/explain';

/** What applying remote items needs of their binding. */
export interface SyncBinding { id: string; projectId: string; importPolicy: string; rules?: unknown }

/**
 * Creates the story and its link in one go, with the fields the rules take from the remote; the outbox
 * event carries the origin so it is not pushed back.
 */
export async function createStoryFromRemote(db: Db, binding: SyncBinding, item: RemoteItem, rules?: EffectiveRules, warnings: string[] = []): Promise<string> {
  return (await createStoriesFromRemote(db, binding, [item], rules ?? effectiveRules(binding.rules ?? null, ''), warnings))[0]!;
}

/**
 * Creates stories for remote items with their links and outbox events (origin = the binding, so
 * they are never pushed back to it), the fields of each as the pull rules decide them from the item
 * alone. `listedAt` stamps the links for a full listing; `settled` items get their comment mark.
 */
export async function createStoriesFromRemote(
  db: Db, binding: SyncBinding, items: RemoteItem[], rules: EffectiveRules, warnings: string[],
  opts: { listedAt?: Date | null; settled?: ((item: RemoteItem) => boolean) | undefined; runId?: string | undefined } = {},
): Promise<string[]> {
  if (!items.length) return [];
  const prepared = items.map((item) => {
    const decision = decidePull(rules, { hub: null, remote: item, snapshot: null });
    warnings.push(...decision.warnings);
    return { item, decision, id: randomUUID(), fields: { ...HUB_DEFAULTS, ...decision.set } as ItemFields };
  });
  const where = (p: (typeof prepared)[number]) =>
    ({ storyId: p.id, bindingId: binding.id, direction: 'create' as const, remoteId: p.item.remoteId, remoteKey: p.item.key, runId: opts.runId ?? null });
  // Each story's explain entry goes in with it: one row per item, in the same statement.
  await insertStoriesFromRemote(db, binding, prepared.map((p) => ({
    id: p.id, item: p.item, fields: p.fields, snapshot: p.decision.snapshot, commentsSyncedAt: opts.settled?.(p.item) ? p.item.updatedAt : null,
    explain: createEntry(where(p), p.decision.reasons),
  })), opts.listedAt ?? null, opts.runId ?? null);
  for (const p of prepared) {
    if (!p.decision.messages.length) continue;
    await addRuleMessages(db, binding, p.id, p.decision.messages);
    await recordExplain(db, p.decision.messages.map((body) => crossingEntry(where(p), 'comment', 'hub', body, 'rule message added')));
  }
  return prepared.map((p) => p.id);
}

/** Imports a pending inbox entry as a story, linked like any pulled item. Returns the story id, or null when not pending. */
export async function importInboxEntry(db: Db, binding: SyncBinding, entryId: string): Promise<string | null> {
  return withTx(db, async (tx) => {
    const entry = await lockPendingEntry(tx, binding.id, entryId);
    if (!entry) return null;
    const storyId = await createStoryFromRemote(tx, binding, entry.item);
    await markImported(tx, entryId);
    return storyId;
  });
}
