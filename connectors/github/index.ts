import { ConflictError, PermanentError, isRemoteError } from '../errors';
import { defineConnector } from '../define';
import { parseLinkHeader, pullIncremental } from '../http';
import { appendMarker, hasMarker } from '../marker';
import type { AttachmentStore, CommentWriter, ConnectorContext, Reader, ScopeGroup, Writer } from '../types';
import { type GitHubApi, type GitHubRepo, createGitHubApi, describeGitHubError } from './client';
import { type GitHubConfig, type GitHubSecrets, configSchema, secretsSchema } from './config';
import { gitHubEditsSince } from './history';
import { type GitHubIssue, fileLinkBody, isFileLink, isPullRequest, issueStates, parseRepo, toFileLink, toIssuePatch, toRemoteComment, toRemoteItem } from './mapping';
import { githubWebhooks } from './webhooks';

type Ctx = ConnectorContext<GitHubConfig, GitHubSecrets>;
const item = (scope: string, issue: GitHubIssue) => toRemoteItem(issue, scope);

function reader(api: GitHubApi, ctx: Ctx): Reader {
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

    /** GitHub's states are open and closed; labels and assignees are the repository's; it has no priorities or custom fields. */
    async metadata(scope) {
      const ref = parseRepo(scope);
      const [labels, assignees] = await Promise.all([api.listLabels(ref), api.listAssignees(ref)]);
      return {
        statuses: issueStates.statuses.map((s) => ({ ...s })),
        priorities: [],
        users: assignees.map((u) => ({ ...(u.id === undefined ? {} : { id: String(u.id) }), name: u.login })),
        labels: labels.map((l) => ({ ...(l.id === undefined ? {} : { id: String(l.id) }), name: l.name })),
        issueTypes: [],
        customFields: [],
      };
    },
  };
}

function writer(api: GitHubApi): Writer {
  return {
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

    async findByMarker(scope, marker) {
      const ref = parseRepo(scope);
      const matches = (issue: GitHubIssue) => !isPullRequest(issue) && hasMarker(issue.body, marker);
      const found = await api.searchIssues(`repo:${scope} "${marker}" in:body`);
      let issue = found.items.find(matches);
      // Search is eventually consistent: an issue created seconds ago may not be indexed yet.
      issue ??= (await api.listRecentIssuesBy(ref, await api.viewerLogin())).find(matches);
      return issue ? item(scope, issue) : null;
    },

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

  };
}

function comments(api: GitHubApi): CommentWriter {
  return {
    async addComment(scope, remoteId, body) {
      return toRemoteComment(await api.createComment(parseRepo(scope), remoteId, body));
    },

    async updateComment(scope, _remoteId, commentId, body) {
      return toRemoteComment(await api.updateComment(parseRepo(scope), commentId, body));
    },
  };
}

/** GitHub's API has no attachments: a file is a comment linking to the hub's copy, never downloaded back. */
function attachments(api: GitHubApi): AttachmentStore {
  return {
    /** Only the links this connector posted: GitHub's API has no attachments to download. */
    async listAttachments(scope, remoteId) {
      return (await api.listComments(parseRepo(scope), remoteId)).map(toFileLink).filter((a) => a !== null);
    },

    async addAttachment(scope, remoteId, file) {
      const comment = await api.createComment(parseRepo(scope), remoteId, fileLinkBody({ name: file.name, url: file.url, size: file.data.byteLength }));
      return toFileLink(comment)!;
    },

    downloadAttachment(scope, attachment) {
      return Promise.reject(new PermanentError(`GitHub holds only a link to ${attachment.name} (${scope}): nothing to download`));
    },
  };
}

export const github = defineConnector({
  slug: 'github',
  name: 'GitHub Issues',
  description: 'Issues of a GitHub or GitHub Enterprise Server repository (REST v3). Pull requests are skipped. '
    + 'Needs a token that can read and write issues (fine-grained: *Issues: read and write*).',
  logoUrl: 'https://github.githubassets.com/favicons/favicon.svg',
  configSchema,
  secretsSchema,
  fields: ['title', 'description', 'status', 'labels', 'assignee'],
  conditionalRequests: true,
  http: {
    service: 'GitHub',
    auth: { header: 'authorization', value: (secrets) => `Bearer ${secrets.token}` },
    headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
    describeError: describeGitHubError,
  },
  webhooks: githubWebhooks,
  session: createGitHubApi,
  reader,
  writer,
  comments,
  attachments,
});
