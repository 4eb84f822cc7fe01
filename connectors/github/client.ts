import type { z } from 'zod';
import { PermanentError, isRemoteError } from '../errors';
import { type HttpResponse, followLinks } from '../http';
import type { ConnectorContext, Json } from '../types';
import type { GitHubConfig, GitHubSecrets } from './config';
import type { GitHubComment, GitHubIssue, RepoRef } from './mapping';
import { assigneeListShape, commentListShape, commentShape, issueEventListShape, issueListShape, issueShape, labelListShape, orgListShape, repoListShape, type repoShape, searchShape, userShape } from './shapes';

export type GitHubRepo = z.infer<typeof repoShape>;

export interface IssuePageQuery {
  since: string | null;
  page: number;
  ifNoneMatch?: string | null;
}

const PER_PAGE = 100;

/** Typed GitHub REST v3 calls; everything HTTP (errors, retries, pacing) lives in ../http. */
export function createGitHubApi(ctx: ConnectorContext<GitHubConfig, GitHubSecrets>) {
  const { http } = ctx;
  const repoPath = ({ owner, repo }: RepoRef) => `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  let viewer: string | undefined;

  async function collect<T>(shape: z.ZodType<T[]>, path: string, query: Record<string, string | number>, budget?: string): Promise<T[]> {
    const all: T[] = [];
    for await (const page of followLinks<T[]>(http, { path, query, ...(budget ? { budget } : {}) }, shape)) {
      // Not GitHub's list shape (a wrong base URL, a proxy's page): a permanent, named failure, not a TypeError.
      if (!Array.isArray(page.data)) throw new PermanentError(`GitHub: unexpected response from ${path}: expected a list`, page.response.status);
      all.push(...page.data);
    }
    return all;
  }

  return {
    getUser: () => http.json({ path: '/user' }, userShape),
    /** The authenticated login, asked once per client. */
    async viewerLogin(): Promise<string> {
      viewer ??= (await http.json({ path: '/user' }, userShape)).login;
      return viewer;
    },
    listUserRepos: () =>
      collect(repoListShape, '/user/repos', { per_page: PER_PAGE, affiliation: 'owner,collaborator,organization_member', sort: 'full_name' }),
    listUserOrgs: () => collect(orgListShape, '/user/orgs', { per_page: PER_PAGE }),
    listOrgRepos: (org: string) => collect(repoListShape, `/orgs/${encodeURIComponent(org)}/repos`, { per_page: PER_PAGE }),

    /** One page of the incremental listing: oldest update first, PRs included (GitHub mixes them in). */
    listIssuesPage(ref: RepoRef, q: IssuePageQuery): Promise<HttpResponse<GitHubIssue[]>> {
      return http.send({
        path: `${repoPath(ref)}/issues`,
        query: { state: 'all', sort: 'updated', direction: 'asc', since: q.since, per_page: PER_PAGE, page: q.page },
        ifNoneMatch: q.ifNoneMatch ?? null,
      }, issueListShape);
    },
    /** Most recently created issues by one user, newest first (findByMarker's fallback). */
    listRecentIssuesBy: (ref: RepoRef, creator: string) =>
      http.json({
        path: `${repoPath(ref)}/issues`,
        query: { state: 'all', creator, sort: 'created', direction: 'desc', per_page: PER_PAGE },
      }, issueListShape),
    /** null when the issue is gone (404) or was deleted or transferred (410). */
    async getIssue(ref: RepoRef, number: string): Promise<GitHubIssue | null> {
      try {
        return await http.json({ path: `${repoPath(ref)}/issues/${encodeURIComponent(number)}` }, issueShape);
      } catch (error) {
        if (isRemoteError(error) && (error.status === 404 || error.status === 410)) return null;
        throw error;
      }
    },
    searchIssues: (q: string) =>
      http.json({ path: '/search/issues', query: { q, per_page: PER_PAGE }, budget: 'search' }, searchShape),
    createIssue: (ref: RepoRef, body: Record<string, Json>): Promise<GitHubIssue> =>
      http.json({ method: 'POST', path: `${repoPath(ref)}/issues`, body }, issueShape),
    updateIssue: (ref: RepoRef, number: string, body: Record<string, Json>): Promise<GitHubIssue> =>
      http.json({ method: 'PATCH', path: `${repoPath(ref)}/issues/${encodeURIComponent(number)}`, body }, issueShape),
    listComments: (ref: RepoRef, number: string, since?: string): Promise<GitHubComment[]> =>
      collect(commentListShape, `${repoPath(ref)}/issues/${encodeURIComponent(number)}/comments`, {
        per_page: PER_PAGE,
        ...(since ? { since } : {}),
      }),
    /** The issue's events, oldest first: renames, closes, labels, assignments (not body edits). */
    listEvents: (ref: RepoRef, number: string) =>
      collect(issueEventListShape, `${repoPath(ref)}/issues/${encodeURIComponent(number)}/events`, { per_page: PER_PAGE }),
    listLabels: (ref: RepoRef) => collect(labelListShape, `${repoPath(ref)}/labels`, { per_page: PER_PAGE }),
    listAssignees: (ref: RepoRef) => collect(assigneeListShape, `${repoPath(ref)}/assignees`, { per_page: PER_PAGE }),
    createComment: (ref: RepoRef, number: string, body: string): Promise<GitHubComment> =>
      http.json({ method: 'POST', path: `${repoPath(ref)}/issues/${encodeURIComponent(number)}/comments`, body: { body } }, commentShape),
    updateComment: (ref: RepoRef, commentId: string, body: string): Promise<GitHubComment> =>
      http.json({ method: 'PATCH', path: `${repoPath(ref)}/issues/comments/${encodeURIComponent(commentId)}`, body: { body } }, commentShape),
  };
}

export type GitHubApi = ReturnType<typeof createGitHubApi>;

/** GitHub's error JSON: { message, errors: [{ message | code, field }] }. */
export function describeGitHubError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { message, errors } = body as { message?: unknown; errors?: unknown };
  const details = Array.isArray(errors)
    ? errors.map((e: { message?: string; code?: string; field?: string }) => e.message ?? [e.field, e.code].filter(Boolean).join(' ')).join('; ')
    : '';
  return [typeof message === 'string' ? message : '', details].filter(Boolean).join(': ') || undefined;
}
