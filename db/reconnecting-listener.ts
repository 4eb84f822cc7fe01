import pg from 'pg';
import type { Logger } from 'pino';
import { summarizeError } from '../lib/error-summary';

/** What /health and the logs tell an operator about one LISTEN. */
export interface ListenStatus {
  channel: string;
  listening: boolean;
  /** When it last connected, or when it was lost. */
  since: Date;
  /** Failed reconnect attempts since it was lost. */
  attempts: number;
  lastError?: string;
}

export interface ReconnectingListener {
  status(): ListenStatus;
  stop(): Promise<void>;
}

/** Reconnect delays: the first is short (a terminated backend is back at once), later ones cap out for a restart. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/**
 * A LISTEN on its own connection that comes back when the server drops it (a terminated backend, a
 * restart, a network cut): it reconnects with capped exponential backoff and jitter, and calls
 * `onNotify` after every (re)connect, since notifications sent while it was away are gone. Never
 * throws for a connection problem; a first connect that fails keeps retrying in the background.
 */
export async function listenWithReconnect(opts: { url: string; channel: string; onNotify: () => void; logger?: Logger | undefined }): Promise<ReconnectingListener> {
  const { url, channel, onNotify, logger } = opts;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let state: ListenStatus = { channel, listening: false, since: new Date(), attempts: 0 };

  const lost = (c: pg.Client, err: Error) => {
    // Errors of a connection still connecting, or already replaced, are handled where it was opened.
    if (c !== client || stopped) return;
    client = undefined;
    void c.end().catch(() => undefined);
    state = { channel, listening: false, since: new Date(), attempts: 0, lastError: err.message };
    logger?.warn({ channel, err: summarizeError(err) }, 'LISTEN connection lost; reconnecting (the outbox relay polls meanwhile)');
    schedule();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 10_000 });
    c.on('notification', () => onNotify());
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, new Error('LISTEN connection ended')));
    try {
      await c.connect();
      await c.query(`listen "${channel.replaceAll('"', '""')}"`);
    } catch (err) {
      void c.end().catch(() => undefined);
      throw err;
    }
    if (stopped) return void (await c.end().catch(() => undefined));
    client = c;
  };

  const attempt = async (): Promise<void> => {
    timer = undefined;
    const wasLost = state.lastError !== undefined;
    try {
      await connect();
    } catch (err) {
      state = { ...state, attempts: state.attempts + 1, lastError: (err as Error).message };
      // One warning per outage; every further attempt at debug, so a long outage does not flood the log.
      const log = state.attempts === 1 ? logger?.warn.bind(logger) : logger?.debug.bind(logger);
      log?.({ channel, attempts: state.attempts, err: summarizeError(err) }, 'LISTEN reconnect failed; retrying');
      schedule();
      return;
    }
    if (stopped) return;
    if (wasLost) logger?.info({ channel, attempts: state.attempts + 1, downMs: Date.now() - state.since.getTime() }, 'LISTEN re-established');
    state = { channel, listening: true, since: new Date(), attempts: 0 };
    onNotify();
  };

  const schedule = () => {
    if (stopped) return;
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** state.attempts) * (0.5 + Math.random() / 2);
    timer = setTimeout(() => void attempt(), delay);
    timer.unref();
  };

  await attempt();
  return {
    status: () => ({ ...state }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
