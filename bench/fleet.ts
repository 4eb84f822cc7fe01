import { inArray } from 'drizzle-orm';
import { stories } from '../db/schema';
import type { GitHubDouble } from '../test/support/github-double';
import { percentile } from './history';
import type { FleetSize } from './options';
import { githubConfig, type Stack } from './stack';

/** One binding of the fleet: its repo on the double and its project on the hub. */
export interface FleetBinding {
  bindingId: string;
  projectId: string;
  repo: string;
  /** Its issues' numbers on the double. */
  first: number;
  last: number;
}

export interface Fleet {
  bindings: FleetBinding[];
  /** What the API stored: the default (300 s) when the size leaves it out. */
  pullIntervalSeconds: number;
}

/** Runs `fn` over `items`, `width` at a time, in order of start. */
export async function bounded<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  }));
  return out;
}

/**
 * Seeds one repo per binding and binds each through the API, as a user would: a project per repo, one
 * connection (one token) for them all, and the pull interval left out unless the size sets one.
 */
export async function createFleet(stack: Stack, double: GitHubDouble, size: FleetSize, tag: string): Promise<Fleet> {
  const repos = Array.from({ length: size.bindings }, (_, i) => `fleet-${tag}/repo-${i}`);
  const seeded = repos.map((repo) => double.seedIssues(repo, size.issues, { pullRequestRatio: 0, commentRatio: 0, seed: 9 }));
  const connection = await stack.call('POST', '/connections', { connector: 'github', name: `fleet ${tag}`, config: githubConfig(double), secrets: { token: double.token } });
  const created = await bounded(repos, size.concurrency, async (repo, i) => {
    const project = await stack.call('POST', '/projects', { key: `F${tag}_${i}`, name: `fleet ${repo}` });
    const binding = await stack.call('POST', '/bindings', {
      projectId: project.id, connectionId: connection.id, scope: repo,
      ...(size.pullIntervalSeconds !== undefined ? { pullIntervalSeconds: size.pullIntervalSeconds } : {}),
    });
    const { first, last } = seeded[i]!;
    return { bindingId: binding.id as string, projectId: project.id as string, repo, first, last, interval: binding.pullIntervalSeconds as number };
  });
  return { bindings: created.map(({ interval: _, ...b }) => b), pullIntervalSeconds: created[0]?.interval ?? 300 };
}

/** One remote edit and when the hub had it. */
export interface EditLanding {
  title: string;
  bindingId: string;
  editedAt: number;
  /** How far the double stamped its updated_at ahead of the wall clock (it gives every change its own second). */
  stampAheadMs: number;
  /** The story's updatedAt once it carries the edit (written by the pull that brought it). */
  landedAt?: number;
}

/**
 * Edits distinct issues of the fleet on the double at `perMinute`, evenly spaced, until `stopAt`, and
 * watches the stories table for each new title: the story's updatedAt minus the edit's time is how
 * long the edit took to reach the hub.
 */
export function editFleet(stack: Stack, double: GitHubDouble, fleet: Fleet, perMinute: number, stopAt: number) {
  // Every issue at most once, in an order spread over the repos, so no edit overwrites a pending one.
  const slots = fleet.bindings.flatMap((b, r) => Array.from({ length: b.last - b.first + 1 }, (_, k) => ({ b, number: b.first + k, key: (k * 7919 + r * 104_729) % 1_000_003 })));
  slots.sort((x, y) => x.key - y.key);
  const edits: EditLanding[] = [];
  const gapMs = 60_000 / perMinute;
  let stopped = false;
  const editing = (async () => {
    const start = Date.now();
    for (let i = 0; i < slots.length && !stopped; i++) {
      const due = start + i * gapMs;
      if (due >= stopAt) break;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const { b, number } = slots[i]!;
      const title = `P9 edit ${i} of ${b.repo}#${number}`;
      const issue = double.editIssue(b.repo, number, { title });
      const editedAt = Date.now();
      edits.push({ title, bindingId: b.bindingId, editedAt, stampAheadMs: Math.max(0, Date.parse(issue.updated_at) - Math.floor(editedAt / 1000) * 1000) });
    }
  })();
  const look = async () => {
    const pending = edits.filter((e) => e.landedAt === undefined);
    if (!pending.length) return;
    const rows = await stack.database.db.select({ title: stories.title, updatedAt: stories.updatedAt }).from(stories)
      .where(inArray(stories.title, pending.map((e) => e.title)));
    const landed = new Map(rows.map((r) => [r.title, r.updatedAt.getTime()]));
    for (const e of pending) if (landed.has(e.title)) e.landedAt = landed.get(e.title)!;
  };
  let lookError: unknown;
  const watching = (async () => {
    while (!stopped) {
      // A failed look is tried again a second later; the last error is kept for the report.
      await look().catch((err: unknown) => void (lookError = err));
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    edits,
    /** Resolves once editing is over and every edit landed, or at `deadline`. */
    async settle(deadline: number): Promise<void> {
      await editing;
      while (Date.now() < deadline && edits.some((e) => e.landedAt === undefined)) await new Promise((r) => setTimeout(r, 500));
    },
    async stop(): Promise<unknown> {
      stopped = true;
      await Promise.all([editing, watching]);
      await look().catch((err: unknown) => void (lookError = err));
      return lookError;
    },
  };
}

/** Seconds from edit to hub, over the edits that landed. */
export function landingStats(edits: EditLanding[]) {
  const seconds = edits.filter((e) => e.landedAt !== undefined).map((e) => (e.landedAt! - e.editedAt) / 1000).sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    edits: edits.length, landed: seconds.length, missing: edits.length - seconds.length,
    p50: round(percentile(seconds, 50)), p99: round(percentile(seconds, 99)), max: round(seconds.at(-1) ?? 0),
    stampAheadMaxS: round(Math.max(0, ...edits.map((e) => e.stampAheadMs)) / 1000),
  };
}
