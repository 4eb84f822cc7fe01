/**
 * The two remotes a convergence schedule binds a project to, behind one small interface: the GitHub
 * double (its store API, one double per remote so each has its own request log), a fresh project
 * in the real Redmine (REST), or the Jira double (Cloud; its handle for edits, REST reads). Edits and reads are in connector terms (ItemFields), read back through
 * the connectors' own mappings, so the checks compare exactly what a pull would see.
 */
import { toFields as githubFields, type GitHubIssue as MappedIssue } from '../../../connectors/github/mapping';
import { toFields as jiraFields, toRemoteComment as jiraComment, type MappingContext } from '../../../connectors/jira/mapping';
import { commentPageShape, fieldShape, issueShape } from '../../../connectors/jira/shapes';
import { toFields as redmineFields, type RedmineIssue } from '../../../connectors/redmine/mapping';
import type { ItemFields } from '../../../connectors/types';
import { startGitHubDouble, type GitHubDouble } from '../github-double';
import { startJiraDouble } from '../jira-double';
import {
  addNote, createIssue, createProject, editIssue, getIssue, getProject, listAllIssues, listPriorities, listStatuses, RedmineHttpError,
  redmineRequest, uniqueIdentifier, type Redmine, type RmIssue,
} from '../redmine';

export type Side = 'A' | 'B';
export type Connector = 'github' | 'redmine' | 'jira';
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
  /**
   * Resolves once the remote's search shows every write made so far. Jira's index lags its writes: a
   * pull in between misses them and looks quiet though a later one would not be. The quiet checks'
   * pulls wait for this; the schedules' own pulls do not (those races are what they are for).
   */
  searchCaughtUp?(): Promise<void>;
  close(): Promise<void>;
}

/** Redmine users the hub's assignees map to (created once per Redmine, added to every schedule's project). */
export const REDMINE_ASSIGNEES = [
  { hub: 'alice', login: 'tb-conv-alice', firstname: 'Alice', lastname: 'Anders' },
  { hub: 'bob', login: 'tb-conv-bob', firstname: 'Bob', lastname: 'Brown' },
].map((u) => ({ ...u, remote: `${u.firstname} ${u.lastname}` }));

/**
 * Jira Cloud users the hub's assignees map to, by accountId (Cloud names users by nothing else). The
 * ids are Jira-shaped (24 hex digits) and fixed, so a printed schedule replays against a fresh double.
 */
export const JIRA_ASSIGNEES = [
  { hub: 'alice', remote: '5b10ac8d82e05b22cc7d0a11', displayName: 'Alice Anders' },
  { hub: 'bob', remote: '5b10ac8d82e05b22cc7d0b0b', displayName: 'Bob Brown' },
];

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
          fields: redmineFields(issue as unknown as RedmineIssue, isClosed, { format: 'textile' }),
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

/**
 * A project on a fresh Jira Cloud double whose search shows writes `searchLagMs` late, as Jira's index
 * does. The connection's `searchLagSeconds` covers that lag (rounded up, plus a second for a create's
 * round trip after its write-ahead), so a create retried after a worker restart is adopted, or created
 * again only once search would show it (I1). Remote edits and comments go through the double's handle
 * (as another user in Jira's UI would make them: a status is set directly, not by transition); reads go
 * through its REST API (reads by id do not lag) and the connector's own mapping, as a pull reads them.
 */
export async function jiraRemote(side: Side, searchLagMs: number, project = 'CONV'): Promise<Remote> {
  const jira = await startJiraDouble({ deployment: 'cloud', searchLagMs });
  jira.createProject(project);
  for (const u of JIRA_ASSIGNEES) jira.addUser({ displayName: u.displayName, accountId: u.remote });
  /** Writes made through the handle, which the double's request log does not see. */
  let handleWrites = 0;
  const rest = async (path: string): Promise<unknown> => {
    const { email, apiToken } = jira.secrets as { email: string; apiToken: string };
    const res = await fetch(`${jira.url}/rest/api/3${path}`, { headers: { authorization: `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`, accept: 'application/json' } });
    if (!res.ok) throw new Error(`Jira double GET ${path} → ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const ids = () => jira.issuesOf(project).map((i) => i.id);
  return {
    side, connector: 'jira', scope: project,
    config: { baseUrl: jira.url, deployment: 'cloud', maxRequestsPerSecond: 100, searchLagSeconds: Math.ceil(searchLagMs / 1000) + 1 },
    secrets: jira.secrets,
    async createItem(title) {
      handleWrites++;
      const [id] = jira.seed(project, 1, { summary: title, description: `${side} created this` });
      return id!;
    },
    itemIds: async () => ids(),
    async edit(remoteId, set) {
      handleWrites++;
      jira.edit(remoteId, {
        ...(set.title !== undefined ? { summary: set.title } : {}),
        ...(set.description !== undefined ? { description: set.description === '' ? null : set.description } : {}),
        ...(set.status !== undefined ? { status: set.status } : {}),
        ...(set.priority !== undefined ? { priority: set.priority } : {}),
        ...(set.assignee !== undefined ? { assignee: set.assignee } : {}),
        ...(set.labels !== undefined ? { labels: set.labels } : {}),
      });
    },
    async comment(remoteId, body) {
      handleWrites++;
      jira.addComment(remoteId, body);
    },
    async read() {
      const fields = (await rest('/field') as unknown[]).map((f) => fieldShape.parse(f));
      const ctx: MappingContext = { cloud: true, baseUrl: jira.url, customFields: fields.filter((f) => f.custom === true || f.id.startsWith('customfield_')).map(({ id, name }) => ({ id, name })) };
      const out = new Map<string, RemoteState>();
      for (const id of ids()) {
        const issue = issueShape.parse(await rest(`/issue/${id}?fields=*all`));
        const { comments } = commentPageShape.parse(await rest(`/issue/${id}/comment?maxResults=5000`));
        out.set(id, { remoteId: id, fields: jiraFields(ctx, issue), comments: comments.map((c) => jiraComment(ctx, c).body) });
      }
      return out;
    },
    // The double logs every request; anything but a read is a write. Our own edits go through the handle.
    writeMark: async () => `${jira.requests().filter((r) => r.method !== 'GET').length}/${handleWrites}`,
    /**
     * Search shows every write made so far. Waiting a lag of up to 60 s out in real time before each of a
     * schedule's 3 to 7 quiet cycles would cost minutes per schedule (CI runs the suite on two cores), so
     * the test moves the double's index, and only the index, to where it would be once the lag has passed:
     * the double's clock, its `updated` stamps and the worker's clock stay as they are, and a pull then
     * sees exactly what it would see after the wait. During the schedule's commands nothing is caught up:
     * the lag runs in real time against the racing pulls, pushes, creates and worker restarts, which is
     * what it is there for. The worker's own bound is not shortened: a retried create that finds nothing
     * still waits out `searchLagSeconds` before it creates again.
     */
    async searchCaughtUp() {
      jira.catchUpSearch();
    },
    close: () => jira.close(),
  };
}
