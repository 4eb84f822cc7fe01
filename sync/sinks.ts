import { isPermanentError } from '../connectors/errors';
import { isDestinationRefused } from '../connectors/http/destination';
import type { Json } from '../connectors/types';
import type { Db } from '../db/client';
import { deadLetterSinkEvent, dropOrphanedQueueRows, markDelivered, recordSinkError, sinkQueueHead } from '../db/sinks';
import { safeMessage, summarizeError } from '../lib/error-summary';
import type { ChangeMessage, SinkPublisher } from '../sinks/types';

type HeadRow = Awaited<ReturnType<typeof sinkQueueHead>>[number];

const TARGETS = { story: 'story', comment: 'comment', attachment: 'attachment' } as const;

/** An outbox event as every sink sees it (bmo's push shape, README: Events). */
export function toChangeMessage({ event: e, projectKey, story }: HeadRow): ChangeMessage {
  const [kind = 'story', targetId = null] = e.target.split(':', 2);
  return {
    schemaVersion: 1,
    eventId: e.id,
    event: {
      action: e.action as ChangeMessage['event']['action'],
      target: TARGETS[kind as keyof typeof TARGETS] ?? 'story',
      targetId,
      time: e.time.toISOString(),
      user: e.actor || null,
      origin: e.origin,
      storyVersion: e.storyVersion,
      changes: e.changes.map((c) => ({ field: c.field, added: (c.added ?? null) as Json, removed: (c.removed ?? null) as Json })),
    },
    project: { id: e.projectId, key: projectKey },
    story: story
      ? {
        id: story.id, projectId: story.projectId, title: story.title, description: story.description, status: story.status, closed: story.closed,
        priority: story.priority, assignee: story.assignee, labels: story.labels, customFields: story.customFields, version: story.version,
        deleted: story.deletedAt !== null, createdAt: story.createdAt.toISOString(), updatedAt: story.updatedAt.toISOString(),
      }
      : null,
  };
}

export interface SinkBatchResult { delivered: number; deadLettered: number; more: boolean }

/**
 * Publishes a sink's oldest waiting events, in event order (so in order per story), one at a time:
 * each is taken off the queue once the sink has accepted it. A permanent refusal makes the event a
 * dead letter and the sink goes on; any other failure is recorded on the sink and thrown, so the whole
 * queue waits and is retried from its oldest event (bmo's backlog per connector). At least once: a
 * crash between the publish and the dequeue publishes that event again, with the same event id.
 */
export async function deliverSinkBatch(
  db: Db, sinkId: string, publisher: SinkPublisher, opts: { limit: number; onProgress?: () => void },
): Promise<SinkBatchResult> {
  await dropOrphanedQueueRows(db, sinkId);
  const head = await sinkQueueHead(db, sinkId, opts.limit);
  const result: SinkBatchResult = { delivered: 0, deadLettered: 0, more: head.length === opts.limit };
  if (!head.length) return result;
  if (publisher.publishMany && head.length > 1) {
    try {
      await publisher.publishMany(head.map(toChangeMessage));
      await markDelivered(db, sinkId, head.map((r) => r.event.id));
      opts.onProgress?.();
      return { ...result, delivered: head.length };
    } catch (err) {
      // One at a time from here, so a permanent refusal is pinned on its event and the rest go past it.
      if (!deadLetters(err)) return fail(db, sinkId, err);
    }
  }
  for (const row of head) {
    try {
      await publisher.publish(toChangeMessage(row));
    } catch (err) {
      if (!deadLetters(err)) return fail(db, sinkId, err);
      await deadLetterSinkEvent(db, sinkId, row.event.id, oneLine(err));
      result.deadLettered++;
      continue;
    }
    await markDelivered(db, sinkId, [row.event.id]);
    result.delivered++;
    opts.onProgress?.();
  }
  return result;
}

/** A permanent refusal of the event. The egress policy refusing the sink's destination is not one: it holds the whole queue. */
const deadLetters = (err: unknown) => isPermanentError(err) && !isDestinationRefused(err);

const oneLine = (err: unknown) => safeMessage(summarizeError(err).message);

/** Any failure but a permanent one holds the queue: recorded on the sink and thrown, to be retried oldest first. */
async function fail(db: Db, sinkId: string, err: unknown): Promise<never> {
  await recordSinkError(db, sinkId, oneLine(err));
  throw err;
}
