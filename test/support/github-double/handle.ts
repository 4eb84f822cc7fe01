/** Starts the double and builds the handle a test drives it through. */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { isoSeconds, renderComment, renderIssue, type IssueRecord, type RenderContext } from '../github-fixtures';
import { track } from '../resources';
import { createClock, toMs } from './clock';
import { createFaults } from './faults';
import { createRateLimits } from './limits';
import { createRouter } from './router';
import { createServe, filterRequests, listen, type ServeState } from './server';
import { createStore, type RepoState } from './store';
import type { GitHubDouble, GitHubDoubleOptions } from './types';
import { createWebhooks } from './webhooks';

/** Starts the double on a local port; `await handle.close()` when done. */
export async function startGitHubDouble(opts: GitHubDoubleOptions = {}): Promise<GitHubDouble> {
  const clock = createClock(opts.now === undefined ? undefined : toMs(opts.now));
  const store = createStore(clock, opts.searchLagMs ?? 0);
  const viewer = store.account(opts.login ?? 'trackbridge-bot');
  const limits = createRateLimits(clock, opts.rateLimit ?? 5000, opts.searchRateLimit ?? 30);
  const faults = createFaults();
  const htmlBase = opts.htmlBase ?? 'https://github.com';
  const route = createRouter({ store, viewer, clock, limits, htmlBase, repositoryIdLinks: opts.repositoryIdLinks ?? true });
  const state: ServeState = { token: opts.token ?? `ghp_${randomBytes(18).toString('base64url')}`, latencyMs: opts.latencyMs ?? 0, log: [], seq: 0 };
  const serve = createServe({ state, clock, limits, faults, route, viewer, primaryLimitStatus: opts.primaryLimitStatus ?? 403 });
  const server = await listen(serve, opts.port ?? 0, opts.host ?? '127.0.0.1');
  const untrack = track(`github double ${(server.address() as AddressInfo).port}`);
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  const webhooks = createWebhooks(url, htmlBase);
  store.onChange((change) => webhooks.onChange(change));
  const render = (repo: RepoState): RenderContext => ({ apiBase: url, htmlBase, fullName: repo.fullName });
  const repoOf = (name: string): RepoState => {
    const found = store.repo(name);
    if (!found) throw new Error(`GitHub double has no repo ${name}`);
    return found;
  };
  const issueOf = (name: string, number: number): [RepoState, IssueRecord] => {
    const repo = repoOf(name);
    const rec = repo.issues.get(number);
    if (!rec) throw new Error(`GitHub double has no issue ${name}#${number}`);
    return [repo, rec];
  };

  return {
    url,
    get token() { return state.token; },
    login: viewer.login,
    setToken: (t) => { state.token = t; },
    revokeToken: () => { state.token = `revoked-${randomBytes(8).toString('hex')}`; },
    now: () => new Date(clock.now()),
    setTime: (t) => clock.set(t),
    advanceTime: (ms) => clock.advance(ms),
    useRealTime: () => clock.useRealTime(),
    createRepo: (fullName, repoOpts) => { store.createRepo(fullName, viewer, repoOpts); },
    seedIssues: (name, count, seedOpts = {}) => store.seed(store.repo(name) ?? store.createRepo(name, viewer), count, seedOpts),
    addIssue: (name, input = {}) => {
      const repo = repoOf(name);
      const author = input.user === undefined ? viewer : store.account(input.user);
      return renderIssue(store.createIssue(repo, { title: `Issue created at ${isoSeconds(clock.now())}`, ...input }, author), render(repo));
    },
    editIssue: (name, number, change, editOpts = {}) => {
      const [repo, rec] = issueOf(name, number);
      const actor = store.account(editOpts.user ?? 'octocat');
      if (!store.updateIssue(repo, rec, change, actor)) store.touch(repo, rec, () => undefined);
      return renderIssue(rec, render(repo));
    },
    addComment: (name, number, body, commentOpts = {}) => {
      const [repo, rec] = issueOf(name, number);
      const user = commentOpts.user === undefined ? viewer : store.account(commentOpts.user);
      return renderComment(store.addComment(repo, rec, body, user), render(repo));
    },
    editComment: (name, commentId, body) => {
      const repo = repoOf(name);
      const comment = repo.commentById.get(commentId);
      if (!comment) throw new Error(`GitHub double has no comment ${commentId} in ${name}`);
      store.editComment(repo, comment, body, store.account('octocat'));
      return renderComment(comment, render(repo));
    },
    deleteIssue: (name, number) => { store.deleteIssue(...issueOf(name, number)); },
    getIssue: (name, number) => {
      const repo = repoOf(name);
      const rec = repo.issues.get(number);
      return rec && renderIssue(rec, render(repo));
    },
    listIssues: (name, listOpts = {}) => repoOf(name).byNumber
      .filter((r) => (listOpts.state ?? 'all') === 'all' || r.state === listOpts.state).map((r) => renderIssue(r, render(repoOf(name)))),
    listComments: (name, number) => {
      const [repo, rec] = issueOf(name, number);
      return store.commentsOf(repo, rec).map((c) => renderComment(c, render(repo)));
    },
    requests: (filter) => filterRequests(state.log, filter),
    countRequests: (filter) => filterRequests(state.log, filter).length,
    pageRequests: (name) => {
      const repo = repoOf(name);
      const paths = [`/repos/${repo.fullName}/issues`.toLowerCase(), `/repositories/${repo.id}/issues`];
      return state.log.filter((r) => r.method === 'GET' && paths.includes(r.path.toLowerCase())).length;
    },
    resetRequests: () => { state.log = []; },
    inject: (rule) => faults.inject(rule),
    failNext: (count, status = 502, where = {}) => faults.inject({ ...where, times: count, fault: { kind: 'status', status } }),
    secondaryRateLimit: ({ retryAfter, times, status, ...where } = {}) =>
      faults.inject({ ...where, times: times ?? 1, fault: { kind: 'secondaryRateLimit', retryAfter: retryAfter ?? 60, status: status ?? 403 } }),
    tooManyRequests: ({ retryAfter, times, ...where } = {}) =>
      faults.inject({ ...where, times: times ?? 1, fault: { kind: 'secondaryRateLimit', retryAfter: retryAfter ?? 60, status: 429 } }),
    hangNext: (where = {}) => faults.inject({ ...where, fault: { kind: 'hang' } }),
    setLatency: (ms) => { state.latencyMs = ms; },
    clearFaults: () => faults.clear(),
    rateLimit: (resource = 'core') => limits.state(resource),
    setRateLimit: ({ resource = 'core', ...rest }) => limits.set(resource, rest),
    setSearchLag: (ms) => store.search.setLag(ms),
    setWebhook: (hookUrl, secret, hookOpts = {}) => webhooks.set(hookUrl === null ? null : { url: hookUrl, secret: secret ?? '', ...hookOpts }),
    webhookDeliveries: () => webhooks.deliveries(),
    redeliverWebhook: (id) => webhooks.redeliver(id),
    settleWebhooks: () => webhooks.settle(),
    close: () => new Promise<void>((resolve) => {
      webhooks.set(null);
      server.close(() => { untrack(); resolve(); });
      server.closeAllConnections();
    }),
  };
}
