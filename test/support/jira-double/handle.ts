/** Starts the Jira double and builds the handle a test drives it through. */
import type { AddressInfo } from 'node:net';
import { createClock, toMs } from '../github-double/clock';
import { createFaults } from '../github-double/faults';
import { track } from '../resources';
import { createRoutes } from './routes';
import { createServe, filterRequests, listen, type Exchange, type RequestRecord } from './server';
import { createStore, STATUSES, type FieldOption, type IssueRecord } from './store';
import type { DoubleIssueView, JiraDouble, JiraDoubleOptions } from './types';

const EMAIL = 'sync-bot@example.com';
const API_TOKEN = 'ATATT3xFfGF0-double-token';
const PAT = 'NjE0MzE2NzU1NzQ2OmRvdWJsZS1wYXQ=';

/** Starts the double on a local port; `await handle.close()` when done. */
export async function startJiraDouble(opts: JiraDoubleOptions): Promise<JiraDouble> {
  const { deployment } = opts;
  const clock = createClock(opts.now === undefined ? undefined : toMs(opts.now));
  const store = createStore(deployment, clock.now, opts.searchLagMs ?? 0, opts.indexedProperties);
  const faults = createFaults();
  const log: RequestRecord[] = [];
  const observers: Array<(exchange: Exchange) => void> = [];
  const credential = deployment === 'cloud' ? `Basic ${Buffer.from(`${EMAIL}:${API_TOKEN}`).toString('base64')}` : `Bearer ${PAT}`;
  const route = createRoutes({ store, deployment, maxAttachmentBytes: opts.maxAttachmentBytes ?? 10 * 1024 * 1024 });
  const latency = opts.requestLatencyMs ?? 0;
  if (latency > 0) observers.push(() => clock.advance(latency));
  const server = await listen(createServe({ deployment, credential: () => credential, faults, route, now: clock.now, log, observers }), opts.port ?? 0, opts.host ?? '127.0.0.1');
  const untrack = track(`jira double ${(server.address() as AddressInfo).port}`);
  const url = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const issueOf = (idOrKey: string): IssueRecord => {
    const rec = store.issue(idOrKey);
    if (!rec) throw new Error(`Jira double has no issue ${idOrKey}`);
    return rec;
  };
  const view = (rec: IssueRecord): DoubleIssueView => ({
    id: rec.id, key: rec.key, summary: rec.summary, description: rec.description, status: rec.status, labels: [...rec.labels],
    properties: Object.fromEntries(rec.properties), custom: { ...rec.custom }, updated: rec.updated, comments: rec.comments.map((c) => ({ id: c.id, body: c.body })),
  });

  return {
    url,
    deployment,
    secrets: deployment === 'cloud' ? { email: EMAIL, apiToken: API_TOKEN } : { personalAccessToken: PAT },
    observe: (fn) => { observers.push(fn); },
    now: () => new Date(clock.now()),
    setTime: (t) => clock.set(t),
    advanceTime: (ms) => clock.advance(ms),
    setSearchLag: (ms) => store.setLag(ms),
    catchUpSearch: () => store.catchUp(),
    indexProperty: (key) => { store.indexedProperties.add(key); },
    createProject: (key, name) => store.createProject(key, name),
    addUser: (seed) => { store.user(seed); },
    seed: (project, count, edit = {}) => Array.from({ length: count }, (_, i) => {
      const rec = store.create(project, { summary: edit.summary ?? `Seeded ${i + 1}`, description: store.richText(edit.description ?? null), labels: edit.labels ?? [] }, store.other);
      return rec.id;
    }),
    edit: (idOrKey, change) => store.edit(issueOf(idOrKey), change),
    addComment: (idOrKey, text) => store.addComment(issueOf(idOrKey), store.richText(text) ?? '', store.other).id,
    deleteIssue: (idOrKey) => store.remove(issueOf(idOrKey)),
    issue: (idOrKey) => { const rec = store.issue(idOrKey); return rec && view(rec); },
    issuesOf: (project) => store.all().filter((r) => r.project === project).map(view),
    requireOnTransition: (status, fields) => {
      if (!STATUSES.some((s) => s.name === status)) throw new Error(`Jira double has no status ${status}`);
      for (const t of store.transitions) if (t.to === status) t.requires = [...fields];
    },
    addCustomField: (name, type = 'text', options = []) => {
      const id = `customfield_${10_051 + store.customFields.length}`;
      let next = 10_100 + store.customFields.length * 100;
      const option = (value: string, children?: string[]): FieldOption => ({ id: String(next++), value, ...(children ? { children: children.map((c) => option(c)) } : {}) });
      store.customFields.push({ id, name, type, ...(options.length ? { options: options.map((o) => (typeof o === 'string' ? option(o) : option(o.value, o.children))) } : {}) });
      return id;
    },
    screen: (project, issueType, change) => {
      const screen = store.screens.of(project, issueType);
      for (const f of change.notOnCreate ?? []) screen.notOnCreate.add(f);
      for (const f of change.notOnEdit ?? []) screen.notOnEdit.add(f);
      for (const f of change.required ?? []) screen.required.add(f);
    },
    setAdmin: (admin) => { store.admin = admin; },
    requests: (filter) => filterRequests(log, filter),
    resetRequests: () => { log.length = 0; },
    inject: (rule) => faults.inject(rule),
    rateLimit: ({ times, retryAfter = 5, reason = 'jira-burst-based', resetInMs = retryAfter === null ? 60_000 : retryAfter * 1000, ...where } = {}) => faults.inject({
      ...where,
      times: times ?? 1,
      fault: {
        kind: 'status', status: 429, body: { errorMessages: ['Rate limit exceeded.'], errors: {} },
        // Jira sends X-RateLimit-Reset as an ISO 8601 instant, and Retry-After in seconds when it knows.
        headers: {
          ...(retryAfter === null ? {} : { 'retry-after': String(retryAfter) }), 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': new Date(clock.now() + resetInMs).toISOString(), 'ratelimit-reason': reason,
        },
      },
    }),
    clearFaults: () => faults.clear(),
    close: () => new Promise<void>((resolve) => {
      server.close(() => { untrack(); resolve(); });
      server.closeAllConnections();
    }),
  };
}
