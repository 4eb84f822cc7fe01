/** The read side the routes serve: one page of an issues listing, and issue search. */
import { issueBody, type IssueRecord } from '../github-fixtures';
import { lowerBound, type RepoState, type Store } from './store';

export interface ListQuery {
  state: string; sort: string; asc: boolean; since: number | undefined; labels: string[]; page: number; perPage: number;
}

/** One page of the issues listing; index arithmetic for the sync engine's common query, one linear pass otherwise. */
export function listPage(repo: RepoState, q: ListQuery): { items: IssueRecord[]; total: number } {
  const source = q.sort === 'updated' ? repo.byUpdated
    : q.sort === 'comments' ? [...repo.byNumber].sort((a, b) => a.comments - b.comments || a.number - b.number) : repo.byNumber;
  const lo = q.sort === 'updated' && q.since !== undefined ? lowerBound(source, q.since) : 0;
  const at = (k: number): IssueRecord => source[q.asc ? lo + k : source.length - 1 - k] as IssueRecord;
  const start = (q.page - 1) * q.perPage;
  const items: IssueRecord[] = [];
  if (q.state === 'all' && q.labels.length === 0 && (q.since === undefined || q.sort === 'updated')) {
    const total = source.length - lo;
    for (let k = start; k < Math.min(total, start + q.perPage); k++) items.push(at(k));
    return { items, total };
  }
  let total = 0;
  for (let k = 0; k < source.length - lo; k++) {
    const rec = at(k);
    if (q.state !== 'all' && rec.state !== q.state) continue;
    if (q.since !== undefined && rec.updatedAt < q.since) continue;
    if (!q.labels.every((l) => rec.labels.some((x) => x.name.toLowerCase() === l))) continue;
    if (total >= start && total < start + q.perPage) items.push(rec);
    total++;
  }
  return { items, total };
}

const SEARCH_QUALIFIERS = new Set(['repo', 'is', 'state', 'type', 'in', 'label', 'author']);

/** A small subset of GitHub's issue search syntax: qualifiers above plus bare or quoted terms, matched as substrings. */
export function searchIssues(store: Store, query: string): { hits: Array<{ repo: RepoState; rec: IssueRecord }>; missingRepo?: string } {
  const repoNames: string[] = [];
  const terms: string[] = [];
  const filters: Array<(r: IssueRecord) => boolean> = [];
  const fields = new Set<string>();
  for (const token of query.match(/(?:[\w-]+:)?(?:"[^"]*"|\S+)/g) ?? []) {
    const qualifier = /^([\w-]+):(.+)$/.exec(token);
    const key = qualifier?.[1]?.toLowerCase() ?? '';
    const value = (qualifier?.[2] ?? token).replace(/^"|"$/g, '').toLowerCase();
    if (!qualifier || !SEARCH_QUALIFIERS.has(key)) terms.push(token.replace(/^"|"$/g, '').toLowerCase());
    else if (key === 'repo') repoNames.push(value);
    else if (key === 'in') value.split(',').forEach((f) => fields.add(f));
    else if (key === 'label') filters.push((r) => r.labels.some((l) => l.name.toLowerCase() === value));
    else if (key === 'author') filters.push((r) => r.user.login.toLowerCase() === value);
    else if (value === 'open' || value === 'closed') filters.push((r) => r.state === value);
    else if (value === 'issue' || value === 'pr' || value === 'pull-request') filters.push((r) => r.isPull === (value !== 'issue'));
  }
  const scope: RepoState[] = [];
  for (const name of repoNames) {
    const found = store.repo(name);
    if (!found) return { hits: [], missingRepo: name };
    scope.push(found);
  }
  if (fields.size === 0) ['title', 'body'].forEach((f) => fields.add(f));
  const hits: Array<{ repo: RepoState; rec: IssueRecord }> = [];
  for (const repo of repoNames.length > 0 ? scope : [...store.repos.values()]) {
    for (const current of repo.byNumber) {
      const rec = store.search.view(current);
      if (!rec || !filters.every((f) => f(rec))) continue;
      const text = (fields.has('title') ? rec.title.toLowerCase() : '') + '\n'
        + (fields.has('body') && terms.length > 0 ? (issueBody(rec) ?? '').toLowerCase() : '') + '\n'
        + (fields.has('comments') ? store.commentsOf(repo, current).map((c) => c.body.toLowerCase()).join('\n') : '');
      if (terms.every((t) => text.includes(t))) hits.push({ repo, rec });
    }
  }
  return { hits };
}
