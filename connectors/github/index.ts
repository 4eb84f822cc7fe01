import { z } from 'zod';
import { ConflictError, PermanentError, isRemoteError } from '../errors';
import { parseLinkHeader, pullIncremental } from '../http';
import { appendMarker, hasMarker } from '../marker';
import type { ConnectorClient, ConnectorDefinition, ConnectorContext, ScopeGroup } from '../types';
import { type GitHubConfig, type GitHubRepo, type GitHubSecrets, createGitHubApi } from './client';
import { gitHubEditsSince } from './history';
import { type GitHubIssue, fileLinkBody, isFileLink, isPullRequest, parseRepo, toFileLink, toIssuePatch, toRemoteComment, toRemoteItem } from './mapping';

const configSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com')
    .describe('API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server'),
  overlapSeconds: z.number().int().min(0).max(3600).default(5)
    .describe('How far before the newest update seen the next pull starts again'),
  maxRequestsPerSecond: z.number().positive().max(100).default(10),
  maxInlineWaitSeconds: z.number().min(0).max(300).default(30)
    .describe('Rate-limit waits up to this long are slept; longer ones reschedule the activity'),
  timeoutSeconds: z.number().positive().max(300).default(30),
});

const secretsSchema = z.strictObject({ token: z.string().min(1).describe('Personal access token or app installation token') });

function connect(ctx: ConnectorContext<GitHubConfig, GitHubSecrets>): ConnectorClient {
  const api = createGitHubApi(ctx);
  const item = (scope: string, issue: GitHubIssue) => toRemoteItem(issue, scope);

  async function findByMarker(scope: string, marker: string) {
    const ref = parseRepo(scope);
    const matches = (issue: GitHubIssue) => !isPullRequest(issue) && hasMarker(issue.body, marker);
    const found = await api.searchIssues(`repo:${scope} "${marker}" in:body`);
    let issue = found.items.find(matches);
    // Search is eventually consistent: an issue created seconds ago may not be indexed yet.
    issue ??= (await api.listRecentIssuesBy(ref, await api.viewerLogin())).find(matches);
    return issue ? item(scope, issue) : null;
  }

  return {
    async testConnection() {
      try {
        const user = await api.getUser();
        return { ok: true, account: user.login, message: `Authenticated to ${ctx.config.baseUrl} as ${user.login}` };
      } catch (error) {
        if (isRemoteError(error)) return { ok: false, message: error.message };
        throw error;
      }
    },

    async listScopes() {
      const repos = new Map<string, GitHubRepo>();
      for (const repo of await api.listUserRepos()) repos.set(repo.full_name, repo);
      for (const org of await api.listUserOrgs()) {
        for (const repo of await api.listOrgRepos(org.login)) repos.set(repo.full_name, repo);
      }
      const groups = new Map<string, ScopeGroup>();
      for (const repo of [...repos.values()].sort((a, b) => a.full_name.localeCompare(b.full_name))) {
        const group = groups.get(repo.owner.login) ?? { group: repo.owner.login, scopes: [] };
        group.scopes.push({ id: repo.full_name, name: repo.name, url: repo.html_url });
        groups.set(repo.owner.login, group);
      }
      return [...groups.values()];
    },

    pull(scope, cursor) {
      const ref = parseRepo(scope);
      return pullIncremental<GitHubIssue>({
        async fetchPage({ since, page, ifNoneMatch }) {
          const res = await api.listIssuesPage(ref, { since, page: page + 1, ifNoneMatch });
          if (res.notModified) return { notModified: true };
          const hasNext = parseLinkHeader(res.headers.get('link')).next !== undefined;
          return { notModified: false, items: res.data, hasNext, etag: res.etag };
        },
        id: (issue) => String(issue.number),
        updatedAt: (issue) => issue.updated_at,
        // Pull requests share the listing (and move the watermark) but are not items.
        toItems: (issues) => issues.filter((issue) => !isPullRequest(issue)).map((issue) => item(scope, issue)),
        overlapMs: ctx.config.overlapSeconds * 1000,
        onInvalidCursor: (bad) => ctx.logger.warn({ scope, cursor: bad }, 'GitHub: unreadable pull cursor, starting a full listing'),
        label: `GitHub issues of ${scope}`,
      }, cursor);
    },

    async getItem(scope, remoteId) {
      const issue = await api.getIssue(parseRepo(scope), remoteId);
      return issue && !isPullRequest(issue) ? item(scope, issue) : null;
    },

    async listComments(scope, remoteId, since) {
      return (await api.listComments(parseRepo(scope), remoteId, since)).filter((c) => !isFileLink(c)).map(toRemoteComment);
    },

    /** Only the links this connector posted: GitHub's API has no attachments to download. */
    async listAttachments(scope, remoteId) {
      return (await api.listComments(parseRepo(scope), remoteId)).map(toFileLink).filter((a) => a !== null);
    },

    async addAttachment(scope, remoteId, file) {
      const comment = await api.createComment(parseRepo(scope), remoteId, fileLinkBody({ name: file.name, url: file.url, size: file.data.byteLength }));
      return toFileLink(comment)!;
    },

    async createItem(scope, { fields, marker }) {
      const ref = parseRepo(scope);
      const created = await api.createIssue(ref, {
        title: fields.title,
        body: appendMarker(fields.description, marker),
        labels: [...fields.labels],
        assignees: fields.assignee ? [fields.assignee] : [],
      });
      // Issues are born open: closing is a second call.
      if (!fields.closed) return item(scope, created);
      return item(scope, await api.updateIssue(ref, String(created.number), toIssuePatch({ closed: true })));
    },

    findByMarker,

    async updateItem(scope, remoteId, changes, version) {
      const ref = parseRepo(scope);
      // GitHub has no conditional PATCH; comparing updated_at first narrows the race to one round trip.
      if (version !== undefined) {
        const current = await api.getIssue(ref, remoteId);
        if (!current) throw new PermanentError(`GitHub issue ${scope}#${remoteId} no longer exists`, 404);
        if (current.updated_at !== version) {
          throw new ConflictError(`GitHub issue ${scope}#${remoteId} changed at ${current.updated_at}, expected ${version}`);
        }
      }
      return item(scope, await api.updateIssue(ref, remoteId, toIssuePatch(changes)));
    },

    editsSince: (scope, remoteId, read, wrote) => gitHubEditsSince(api, parseRepo(scope), remoteId, read, wrote),

    async deleteItem(scope, remoteId) {
      // The REST API cannot delete an issue: close it as not planned instead.
      await api.updateIssue(parseRepo(scope), remoteId, { state: 'closed', state_reason: 'not_planned' });
    },

    async addComment(scope, remoteId, body) {
      return toRemoteComment(await api.createComment(parseRepo(scope), remoteId, body));
    },

    async updateComment(scope, _remoteId, commentId, body) {
      return toRemoteComment(await api.updateComment(parseRepo(scope), commentId, body));
    },
  };
}

export const github: ConnectorDefinition<GitHubConfig, GitHubSecrets> = {
  slug: 'github',
  name: 'GitHub Issues',
  description: 'Issues of a GitHub or GitHub Enterprise Server repository (REST v3). Pull requests are skipped. '
    + 'Needs a token that can read and write issues (fine-grained: *Issues: read and write*).',
  logoUrl: 'https://github.githubassets.com/favicons/favicon.svg',
  configSchema,
  secretsSchema,
  capabilities: { pull: true, write: true, comments: true, attachments: false, conditionalRequests: true, customFields: false },
  connect,
};
