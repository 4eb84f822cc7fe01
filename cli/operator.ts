import type { ApiClient } from './api-client';
import { CliError, note, printJson, printLine, table } from './output';
import { itemsBar } from './progress';

interface BindingView { id: string; connector: string; scope: string; state: string; backlogged: boolean; pausedReason: string | null }
interface BindingStatus extends BindingView { status: string; nextPullAt: string | null; linkedItems: number }
interface Backlog { backlogged: boolean; size: number; deadLetters: number; oldestAgeSeconds: number | null }
interface Run {
  workflowId: string; status: string; error?: string; counts?: Record<string, number>;
  progress?: { status?: string; itemsDone?: number; total?: number | null };
}
interface DeadLetter { id: string; storyId: string; eventId: number; error: string; createdAt: string }

const path = (bindingId: string, rest = '') => `/bindings/${encodeURIComponent(bindingId)}${rest}`;

/** Runs `fn` over `items`, `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `bindings list`: each binding's state, status line, next scheduled pull and backlog. */
export async function listBindingsCommand(api: ApiClient, opts: { project?: string; json?: boolean }): Promise<number> {
  const query = opts.project ? `?projectId=${encodeURIComponent(opts.project)}` : '';
  const { items } = await api.get<{ items: BindingView[] }>(`/bindings${query}`);
  // Status and backlog ask Temporal; a binding whose details fail still lists what the database knows.
  const rows = await mapLimit(items, 4, async (b) => {
    const [status, backlog] = await Promise.allSettled([api.get<BindingStatus>(path(b.id)), api.get<Backlog>(path(b.id, '/backlog'))]);
    return {
      ...b,
      status: status.status === 'fulfilled' ? status.value.status : `? (${(status.reason as Error).message})`,
      nextPullAt: status.status === 'fulfilled' ? status.value.nextPullAt : null,
      linkedItems: status.status === 'fulfilled' ? status.value.linkedItems : null,
      backlog: backlog.status === 'fulfilled' ? backlog.value : null,
    };
  });
  if (opts.json) {
    await printJson(rows);
    return 0;
  }
  if (!rows.length) {
    await printLine('no bindings');
    return 0;
  }
  const backlogText = (r: (typeof rows)[number]) =>
    r.backlog ? `${r.backlog.backlogged ? 'backlogged, ' : ''}${r.backlog.size} waiting, ${r.backlog.deadLetters} dead` : '?';
  await printLine(table(
    ['ID', 'CONNECTOR', 'SCOPE', 'STATE', 'NEXT PULL', 'BACKLOG', 'STATUS'],
    rows.map((r) => [r.id, r.connector, r.scope, r.state, r.nextPullAt ?? '-', backlogText(r), r.status]),
  ));
  return 0;
}

/** `sync <bindingId>`: starts the initial (or a full re-) sync. */
export async function startSyncCommand(api: ApiClient, bindingId: string, opts: { follow?: boolean }): Promise<number> {
  const started = await api.post<{ workflowId: string; statusUrl: string }>(path(bindingId, '/initial-sync'));
  await printLine(`started ${started.workflowId}`);
  return opts.follow ? followRun(api, started.statusUrl) : 0;
}

/** `pull <bindingId>`: pulls now; a pull already running takes this one as its next round. */
export async function triggerPullCommand(api: ApiClient, bindingId: string, opts: { follow?: boolean }): Promise<number> {
  const started = await api.post<{ workflowId: string | null; queued: boolean; statusUrl: string | null }>(path(bindingId, '/pull'));
  if (started.queued || !started.statusUrl) {
    await printLine('queued: a pull is running; it pulls again when it finishes');
    return 0;
  }
  await printLine(`started ${started.workflowId}`);
  return opts.follow ? followRun(api, started.statusUrl) : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls a run (GET /runs/{workflowId}) until it leaves `running`: a progress bar on a terminal,
 * otherwise a line on stderr each time the progress text changes. Exit 0 only when it completed.
 */
export async function followRun(api: ApiClient, statusUrl: string, intervalMs = Number(process.env.TRACKBRIDGE_POLL_MS ?? 1000)): Promise<number> {
  const bar = process.stderr.isTTY ? itemsBar('syncing') : undefined;
  let shown = '';
  let run: Run;
  try {
    for (;;) {
      run = await api.get<Run>(statusUrl);
      if (run.status !== 'running') break;
      const p = run.progress;
      if (bar) bar.update(p?.itemsDone ?? 0, p?.total ?? null);
      else if (p?.status && p.status !== shown) note((shown = p.status));
      await sleep(intervalMs);
    }
  } finally {
    bar?.stop();
  }
  const counts = run.counts ? ` (${Object.entries(run.counts).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  await printLine(`${run.status}${counts}${run.error ? `: ${run.error}` : ''}`);
  return run.status === 'completed' ? 0 : 1;
}

/** `deadletters list|retry|drop`. */
export async function deadLettersCommand(api: ApiClient, action: string, bindingId: string, deadLetterId: string | undefined, opts: { json?: boolean; all?: boolean }): Promise<number> {
  switch (action) {
    case 'list': {
      const { items } = await api.get<{ items: DeadLetter[] }>(path(bindingId, '/dead-letters'));
      if (opts.json) await printJson(items);
      else if (!items.length) await printLine('no open dead letters');
      else await printLine(table(['ID', 'STORY', 'EVENT', 'CREATED', 'ERROR'], items.map((d) => [d.id, d.storyId, String(d.eventId), d.createdAt, d.error.split('\n')[0] ?? ''])));
      return 0;
    }
    case 'retry': {
      if (!deadLetterId && !opts.all) throw new CliError('deadletters retry needs a dead letter id, or --all', 'usage');
      const suffix = deadLetterId ? `/dead-letters/${encodeURIComponent(deadLetterId)}/retry` : '/dead-letters/retry';
      const { retried } = await api.post<{ retried: number }>(path(bindingId, suffix));
      await printLine(`retried ${retried}`);
      return 0;
    }
    case 'drop': {
      if (!deadLetterId) throw new CliError('deadletters drop needs a dead letter id', 'usage');
      const { dropped } = await api.delete<{ dropped: number }>(path(bindingId, `/dead-letters/${encodeURIComponent(deadLetterId)}`));
      await printLine(`dropped ${dropped}`);
      return 0;
    }
    default:
      throw new CliError(`unknown action "${action}" (list, retry, drop)`, 'usage');
  }
}
