import { createActivities } from '../../activities';
import { getConnector } from '../../plugins/registry';
import type { Json } from '../../connectors/types';
import { beginRun } from '../../db/runs';
import { bindings, connections, projects } from '../../db/schema';
import type { BenchDatabase, BenchEnv } from '../env';
import { githubConfig } from '../stack';
import type { GitHubDouble } from '../../test/support/github-double';

/**
 * Calls the real `syncPages` activity batch after batch in this process, with no Temporal and no worker
 * process: the activity's own code path (connector, pull cursor, apply, run counts), timed alone.
 */
export async function timeSyncPageDirect(env: BenchEnv, database: BenchDatabase, double: GitHubDouble, repo: string) {
  const [project] = await database.db.insert(projects).values({ key: 'DIRECT', name: 'direct activity' }).returning();
  const [connection] = await database.db.insert(connections).values({
    connector: 'github', name: 'direct', config: githubConfig(double), secretsSealed: env.secretBox.seal({ token: double.token }),
  }).returning();
  const [binding] = await database.db.insert(bindings).values({ projectId: project!.id, connectionId: connection!.id, scope: repo }).returning();
  const run = await beginRun(database.db, { kind: 'initial-sync', workflowId: 'bench/direct', temporalRunId: 'direct', bindingId: binding!.id });
  const acts = createActivities({ db: database.db, withLock: database.withLock, secretBox: env.secretBox, getConnector, logger: env.logger });
  const listedAt = new Date().toISOString();
  const out = { pages: 0, items: 0, created: 0, ms: 0 };
  for (let cursor: Json | null = null; ; ) {
    const started = performance.now();
    const page = await acts.syncPages({ bindingId: binding!.id, runId: run.id, cursor, full: true, listedAt });
    out.ms += performance.now() - started;
    out.pages += page.pages;
    out.items += page.items;
    out.created += page.counts.created;
    if (page.next === null) return out;
    cursor = page.next;
  }
}
