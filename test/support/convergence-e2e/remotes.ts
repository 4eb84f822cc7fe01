/**
 * The two remotes a convergence schedule binds a project to, behind one small interface: the GitHub
 * double (its store API, one double per remote so each has its own request log) or a fresh project
 * in the real Redmine (REST). Edits and reads are in connector terms (ItemFields), read back through
 * the connectors' own mappings, so the checks compare exactly what a pull would see.
 */
import { toFields as githubFields, type GitHubIssue as MappedIssue } from '../../../connectors/github/mapping';
import { toFields as redmineFields, type RedmineIssue } from '../../../connectors/redmine/mapping';
import type { ItemFields } from '../../../connectors/types';
import { startGitHubDouble, type GitHubDouble } from '../github-double';
import {
  addNote, createIssue, createProject, editIssue, getIssue, getProject, listAllIssues, listPriorities, listStatuses, RedmineHttpError,
  redmineRequest, uniqueIdentifier, type Redmine, type RmIssue,
} from '../redmine';

export type Side = 'A' | 'B';
export type Connector = 'github' | 'redmine';
type Json = Record<string, unknown>;

/** A remote item as the sync sees it: its fields (connector mapping) and its comment bodies. */
export interface RemoteState { remoteId: string; fields: ItemFields; comments: string[] }

export interface Remote {
  side: Side;
  connector: Connector;
  scope: string;
  config: Json;
  secrets: Json;
  createItem(title: string): Promise<string>;
  /** Item ids in creation order: commands pick items by index. */
  itemIds(): Promise<string[]>;
  edit(remoteId: string, set: Partial<ItemFields>): Promise<void>;
  comment(remoteId: string, body: string): Promise<void>;
  read(): Promise<Map<string, RemoteState>>;
  /** Changes whenever anything writes to the remote (our test edits included). */
  writeMark(): Promise<string>;
  close(): Promise<void>;
}

/** Redmine users the hub's assignees map to (created once per Redmine, added to every schedule's project). */
export const REDMINE_ASSIGNEES = [
  { hub: 'alice', login: 'tb-conv-alice', firstname: 'Alice', lastname: 'Anders' },
  { hub: 'bob', login: 'tb-conv-bob', firstname: 'Bob', lastname: 'Brown' },
].map((u) => ({ ...u, remote: `${u.firstname} ${u.lastname}` }));

export async function githubRemote(side: Side, repo: string): Promise<Remote> {
  const gh: GitHubDouble = await startGitHubDouble();
  gh.createRepo(repo);
  const numbers = () => gh.listIssues(repo).map((i) => i.number);
  return {
    side, connector: 'github', scope: repo,
    config: { baseUrl: gh.url, maxRequestsPerSecond: 100 },
    secrets: { token: gh.token },
    createItem: async (title) => String(gh.addIssue(repo, { title, body: `${side} created this` }).number),
    itemIds: async () => numbers().map(String),
    async edit(remoteId, set) {
      gh.editIssue(repo, Number(remoteId), {
        ...(set.title !== undefined ? { title: set.title } : {}),
        ...(set.description !== undefined ? { body: set.description } : {}),
        ...(set.closed !== undefined ? { state: set.closed ? 'closed' : 'open' } : {}),
        ...(set.labels !== undefined ? { labels: set.labels } : {}),
        ...(set.assignee !== undefined ? { assignees: set.assignee === null ? [] : [set.assignee] } : {}),
      });
    },
    comment: async (remoteId, body) => void gh.addComment(repo, Number(remoteId), body, { user: 'octo-commenter' }),
    async read() {
      const out = new Map<string, RemoteState>();
      for (const issue of gh.listIssues(repo)) {
        out.set(String(issue.number), {
          remoteId: String(issue.number),
          fields: githubFields(issue as unknown as MappedIssue),
          comments: gh.listComments(repo, issue.number).map((c) => c.body),
        });
      }
      return out;
    },
    // The double logs every request; anything but a read is a write.
    writeMark: async () => String(gh.requests().filter((r) => r.method !== 'GET').length),
    close: () => gh.close(),
  };
}

/** Redmine's ids for the names the schedules use: statuses, priorities and the assignable users. */
export interface RedmineNames { statuses: Map<string, { id: number; closed: boolean }>; priorities: Map<string, number>; users: Map<string, number> }

/** Creates the assignee users once (they persist in the shared Redmine) and reads the name → id tables. */
export async function redmineNames(r: Redmine): Promise<RedmineNames> {
  const users = new Map<string, number>();
  for (const u of REDMINE_ASSIGNEES) {
    const found = (await redmineRequest<{ users: { id: number; login: string }[] }>(r, 'GET', `/users.json?name=${u.login}`)).body.users.find((x) => x.login === u.login);
    const id = found?.id ?? (await redmineRequest<{ user: { id: number } }>(r, 'POST', '/users.json', {
      user: { login: u.login, firstname: u.firstname, lastname: u.lastname, mail: `${u.login}@example.net`, password: 'convergence-e2e' },
    })).body.user.id;
    users.set(u.remote, id);
  }
  return {
    statuses: new Map((await listStatuses(r)).map((s) => [s.name, { id: s.id, closed: s.is_closed }])),
    priorities: new Map((await listPriorities(r)).map((p) => [p.name, p.id])),
    users,
  };
}

export async function redmineRemote(side: Side, r: Redmine, names: RedmineNames): Promise<Remote> {
  // redmineRequest retries a 500 (sqlite busy) even when the write went through: a retried create answers 422.
  const project = uniqueIdentifier('tb-conv');
  await createProject(r, { identifier: project }).catch(async (err: unknown) => {
    if (!(err instanceof RedmineHttpError && err.status === 422)) throw err;
    await getProject(r, project);
  });
  const roles = (await redmineRequest<{ roles: { id: number; name: string }[] }>(r, 'GET', '/roles.json')).body.roles;
  const role = roles.find((x) => x.name === 'Developer') ?? roles[0]!;
  for (const id of names.users.values()) {
    await redmineRequest(r, 'POST', `/projects/${project}/memberships.json`, { membership: { user_id: id, role_ids: [role.id] } }, { accept: [422] });
  }
  const isClosed = (statusId: number) => [...names.statuses.values()].some((s) => s.id === statusId && s.closed);
  const issues = () => listAllIssues(r, { project, sort: 'id' });
  const id = (name: string, table: Map<string, number>) => {
    const found = table.get(name);
    if (found === undefined) throw new Error(`Redmine has no ${JSON.stringify(name)}`);
    return found;
  };
  return {
    side, connector: 'redmine', scope: project,
    config: { baseUrl: r.url, maxRequestsPerSecond: 100 },
    secrets: { apiKey: r.apiKey },
    createItem: async (title) => String((await createIssue(r, project, { subject: title, description: `${side} created this` })).id),
    itemIds: async () => (await issues()).map((i) => String(i.id)),
    async edit(remoteId, set) {
      const status = set.status === undefined ? undefined : names.statuses.get(set.status);
      if (set.status !== undefined && !status) throw new Error(`Redmine has no status ${set.status}`);
      await editIssue(r, Number(remoteId), {
        ...(set.title !== undefined ? { subject: set.title } : {}),
        ...(set.description !== undefined ? { description: set.description } : {}),
        ...(status ? { status_id: status.id } : {}),
        ...(set.priority ? { priority_id: id(set.priority, names.priorities) } : {}),
        ...(set.assignee !== undefined ? { assigned_to_id: set.assignee === null ? '' : id(set.assignee, names.users) } : {}),
      });
    },
    async comment(remoteId, body) {
      // Known gap (Redmine stamps whole seconds): a pull that already saw this second would not look
      // at the issue's notes again until its next change. Notes land in a later second than any
      // update a pull can have seen.
      const { updated_on: updatedOn } = await getIssue(r, Number(remoteId));
      const wait = Date.parse(updatedOn) + 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 50));
      await addNote(r, Number(remoteId), body);
    },
    async read() {
      const out = new Map<string, RemoteState>();
      for (const listed of await issues()) {
        const issue: RmIssue = await getIssue(r, listed.id, { include: 'journals' });
        out.set(String(issue.id), {
          remoteId: String(issue.id),
          fields: redmineFields(issue as unknown as RedmineIssue, isClosed, 'textile'),
          comments: (issue.journals ?? []).filter((j) => !j.private_notes && j.notes.trim() !== '').map((j) => j.notes),
        });
      }
      return out;
    },
    // Every write (ours or a push's) adds an issue, or a journal (a note, or a change with details).
    async writeMark() {
      const marks = await Promise.all((await issues()).map(async (i) => `${i.id}#${(await getIssue(r, i.id, { include: 'journals' })).journals?.length ?? 0}`));
      return marks.join(',');
    },
    close: async () => undefined,
  };
}
