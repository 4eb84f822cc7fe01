import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { createStory, updateStory } from '../../db/hub';
import type { ChangeMessage } from '../../sinks/types';
import { sleep } from '../push';
import type { Scenario } from '../scenario';

const AMQP_URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const STORIES = 50;

/**
 * P8: hub events published to RabbitMQ through an `amqp` sink, with publisher confirms, order kept
 * per story. The sink is paused while the edits are made, so the events queue up; the clock runs
 * from the resume to the last event in the consumer's queue: the sink's publishing rate alone.
 */
export const p8: Scenario = {
  id: 'P8',
  title: 'Events to RabbitMQ',
  async run(ctx, rec) {
    const stack = await ctx.mainStack();
    const edits = ctx.size.name === 'smoke' ? 9 : ctx.size.name === 'small' ? 39 : 99;
    const expected = STORIES * (edits + 1);
    const exchange = `tb-bench-${randomBytes(4).toString('hex')}`;
    const model = await connect(AMQP_URL);
    const channel = await model.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, '#');
    const received: { eventId: number; storyId: string; version: number; at: number }[] = [];
    await channel.consume(queue, (msg) => {
      if (!msg) return;
      const m = JSON.parse(msg.content.toString('utf8')) as ChangeMessage;
      received.push({ eventId: m.eventId, storyId: m.story?.id ?? '', version: m.event.storyVersion, at: Date.now() });
    }, { noAck: true });

    const key = `P8${randomBytes(2).toString('hex').toUpperCase()}`;
    const project = await stack.call('POST', '/projects', { key, name: key });
    const sink = await stack.call('POST', '/sinks', { name: 'bench', kind: 'amqp', projectId: project.id, config: { exchange }, secrets: { url: AMQP_URL } });
    try {
      await stack.call('POST', `/sinks/${sink.id}/pause`);
      ctx.log(`  P8: ${STORIES} stories × ${edits} edits (${expected} events) while the sink is paused`);
      // Written through the hub's own functions (each with its outbox event, as the API writes them):
      // the API's rate limit would otherwise set the pace of the setup.
      const db = stack.database.db;
      const stories = await Promise.all(Array.from({ length: STORIES }, (_, i) => createStory(db, project.id as string, { title: `p8 ${i}` }, 'bench')));
      for (let n = 1; n <= edits; n++) {
        await Promise.all(stories.map(async (s, i) => {
          const updated = await updateStory(db, s.id, s.version, { title: `p8 edit ${n}` }, 'bench');
          if (!updated) throw new Error(`story ${i} changed under the bench`);
          stories[i] = updated;
        }));
      }
      const deadline = Date.now() + 120_000;
      while (((await stack.call('GET', `/sinks/${sink.id}`)) as { backlog: { size: number } }).backlog.size < expected) {
        if (Date.now() > deadline) throw new Error('the relay did not queue every event on the sink within 120 s');
        await sleep(100);
      }
      const resumed = Date.now();
      await stack.call('POST', `/sinks/${sink.id}/resume`);
      while (new Set(received.map((r) => r.eventId)).size < expected) {
        if (Date.now() > resumed + 300_000) throw new Error(`${new Set(received.map((r) => r.eventId)).size} of ${expected} events arrived within 300 s`);
        await sleep(20);
      }
      const last = Math.max(...received.map((r) => r.at));
      const seconds = (last - resumed) / 1000;
      const perStory = new Map<string, number[]>();
      for (const r of received) perStory.set(r.storyId, [...(perStory.get(r.storyId) ?? []), r.version]);
      const outOfOrder = [...perStory.values()].filter((v) => v.some((x, i) => i > 0 && x <= v[i - 1]!));
      rec.check('every story\'s events arrived in order', outOfOrder.length === 0, `${perStory.size} stories, ${outOfOrder.length} out of order`);
      rec.check('every event arrived', new Set(received.map((r) => r.eventId)).size === expected, `${received.length} messages for ${expected} events`);
      rec.metric('events published with confirms', Math.round(expected / seconds), 'events/s', { op: '>=', value: 1000 });
      rec.breakdown('p8', { events: expected, seconds, duplicates: received.length - expected });
      rec.note(`${expected} events from ${STORIES} stories drained in ${seconds.toFixed(2)} s after the resume`);
    } finally {
      await stack.call('DELETE', `/sinks/${sink.id}`).catch(() => undefined);
      await model.close().catch(() => undefined);
    }
  },
};
