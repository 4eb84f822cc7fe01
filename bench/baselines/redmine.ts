export interface RedmineSource {
  url: string;
  apiKey: string;
  project: string;
}

export interface RedmineDownload {
  pages: number;
  issues: number;
  /** Per-issue `include=journals` requests (0 for the listing alone). */
  journalRequests: number;
  ms: number;
}

/**
 * One GET, repeated (up to 3 times, 0.2 s and 0.4 s apart) on a 5xx: Redmine on SQLite answers 500
 * while its database is locked by a concurrent write, and a script a user writes would retry too.
 */
async function getJson<T>(source: RedmineSource, path: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${source.url}${path}`, { headers: { 'x-redmine-api-key': source.apiKey, accept: 'application/json' } });
    if (res.ok) return (await res.json()) as T;
    if (res.status < 500 || attempt === 3) throw new Error(`GET ${path} → ${res.status}`);
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}

/**
 * Plain fetch of every page of the project's issues, one after the other, as a user would script it;
 * with `journalConcurrency`, also each issue with its journals, that many at a time, page by page
 * (what trackbridge fetches on an initial sync).
 */
export async function downloadRedmine(source: RedmineSource, opts: { journalConcurrency?: number } = {}): Promise<RedmineDownload> {
  const out: RedmineDownload = { pages: 0, issues: 0, journalRequests: 0, ms: 0 };
  const started = performance.now();
  for (let offset = 0; ; ) {
    const page = await getJson<{ issues: Array<{ id: number }>; total_count: number }>(
      source, `/issues.json?project_id=${encodeURIComponent(source.project)}&status_id=*&limit=100&offset=${offset}`,
    );
    out.pages++;
    out.issues += page.issues.length;
    if (opts.journalConcurrency) {
      const queue = page.issues.map((i) => i.id);
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          await getJson(source, `/issues/${id}.json?include=journals`);
          out.journalRequests++;
        }
      };
      await Promise.all(Array.from({ length: opts.journalConcurrency }, worker));
    }
    offset += page.issues.length;
    if (page.issues.length === 0 || offset >= page.total_count) break;
  }
  out.ms = performance.now() - started;
  return out;
}
