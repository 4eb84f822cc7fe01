/** The double's data: projects, users, a workflow, issues with comments, properties and attachments, and a lagging search index. */
import { randomBytes } from 'node:crypto';
import { createScreens, type CustomFieldType } from './screens';
import type { AdfNode, Deployment, IssueEdit, RichText } from './types';

export interface UserRecord { accountId: string; name: string; key: string; displayName: string; email: string }
export interface StatusRecord { id: string; name: string; category: 'new' | 'indeterminate' | 'done' }
export interface TransitionRecord { id: string; name: string; to: string; requires: string[] }
export interface CommentRecord { id: string; body: RichText; author: UserRecord; created: number; updated: number; updateAuthor: UserRecord }
export interface AttachmentRecord { id: string; filename: string; mimeType: string; data: Buffer; author: UserRecord; created: number }
export interface FieldOption { id: string; value: string; children?: FieldOption[] }
export interface CustomFieldRecord { id: string; name: string; type: CustomFieldType; options?: FieldOption[] }

/** One field's change in a history entry, as Jira's changelog gives it. */
export interface ChangeItem { field: string; fieldtype: 'jira' | 'custom'; fieldId: string; from: string | null; fromString: string | null; to: string | null; toString: string | null }
export interface HistoryRecord { id: string; author: UserRecord; created: number; items: ChangeItem[] }

export interface IssueRecord {
  id: string;
  key: string;
  project: string;
  summary: string;
  description: RichText | null;
  status: string;
  priority: string | null;
  assignee: UserRecord | null;
  reporter: UserRecord;
  labels: string[];
  issueType: string;
  /** By field id, as a read answers it (options as {id, value}); a user as its record. */
  custom: Record<string, unknown>;
  created: number;
  updated: number;
  properties: Map<string, unknown>;
  comments: CommentRecord[];
  attachments: AttachmentRecord[];
  /** Every field change, oldest first: who, when, from what to what. */
  changelog: HistoryRecord[];
}

export const STATUSES: StatusRecord[] = [
  { id: '10000', name: 'To Do', category: 'new' },
  { id: '3', name: 'In Progress', category: 'indeterminate' },
  { id: '10001', name: 'Done', category: 'done' },
];
export const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'];
export const ISSUE_TYPES = [{ id: '10002', name: 'Task' }, { id: '10004', name: 'Bug' }];

/** Plain text as ADF: one paragraph per line, as Jira's editor stores typed lines. */
export function textToAdf(text: string): AdfNode {
  return { type: 'doc', version: 1, content: text.split('\n').map((line) => ({ type: 'paragraph', content: line === '' ? [] : [{ type: 'text', text: line }] })) };
}
export function adfToText(doc: AdfNode): string {
  return (doc.content ?? []).map((block) => (block.content ?? []).map((n) => n.text ?? '').join('')).join('\n');
}

export function createStore(deployment: Deployment, now: () => number, initialLag: number, indexed: string[] = []) {
  let lagMs = initialLag;
  /** Entity property keys an app declared a JQL index for; no other property is searchable. */
  const indexedProperties = new Set(indexed);
  let nextIssueId = 10_000;
  let nextCommentId = 10_000;
  let lastStamp = 0;
  const projects = new Map<string, { id: string; key: string; name: string; counter: number }>();
  const users = new Map<string, UserRecord>();
  const issues = new Map<string, IssueRecord>();
  const byKey = new Map<string, IssueRecord>();
  const deleted = new Set<string>();
  /** What search sees of each issue: snapshots, each visible from `at` (the write time plus the lag). */
  const index = new Map<string, Array<{ at: number; view: IssueRecord | null }>>();
  const transitions: TransitionRecord[] = [
    { id: '11', name: 'Back to backlog', to: 'To Do', requires: [] },
    { id: '21', name: 'Start work', to: 'In Progress', requires: [] },
    { id: '31', name: 'Resolve', to: 'Done', requires: [] },
  ];
  const customFields: CustomFieldRecord[] = [{ id: 'customfield_10050', name: 'Team', type: 'text' }];
  const screens = createScreens();

  /** Every change gets a later millisecond than any before, as Jira's `updated` does. */
  const stamp = (): number => (lastStamp = Math.max(now(), lastStamp + 1));
  const copy = (rec: IssueRecord): IssueRecord => ({ ...rec, labels: [...rec.labels], custom: { ...rec.custom }, properties: new Map(rec.properties), comments: [...rec.comments], attachments: [...rec.attachments], changelog: [...rec.changelog] });
  const reindex = (rec: IssueRecord, view: IssueRecord | null): void => {
    const list = index.get(rec.id) ?? [];
    list.push({ at: now() + lagMs, view });
    index.set(rec.id, list);
  };
  const richText = (text: string | null | undefined): RichText | null => (text === null || text === undefined ? null : deployment === 'cloud' ? textToAdf(text) : text);

  function user(seed: { displayName: string; accountId?: string; name?: string; email?: string }): UserRecord {
    const name = seed.name ?? seed.displayName.toLowerCase().replace(/\s+/g, '.');
    const rec: UserRecord = {
      accountId: seed.accountId ?? `5b10ac8d82e05b22cc7d${randomBytes(2).toString('hex')}`, name, key: `JIRAUSER${10_000 + users.size}`,
      displayName: seed.displayName, email: seed.email ?? `${name}@example.com`,
    };
    users.set(rec.accountId, rec);
    return rec;
  }
  const viewer = user({ displayName: 'Sync Bot', name: 'sync-bot', accountId: '5b10ac8d82e05b22cc7d4ef5' });
  const other = user({ displayName: 'Alice Example', name: 'alice', accountId: '5b10a2844c20165700ede21g' });

  const userBy = (ref: { accountId?: unknown; name?: unknown; key?: unknown }): UserRecord | undefined =>
    [...users.values()].find((u) => (deployment === 'cloud' ? u.accountId === ref.accountId : u.name === ref.name || u.key === ref.key));
  const unknownUser = (id: string): never => { throw new Error(`Jira double has no user ${id}`); };

  let nextHistoryId = 10_000;
  const text = (v: RichText | null): string | null => (v === null ? null : typeof v === 'string' ? v : adfToText(v));
  const shown = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return v.map(shown).join(',');
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.displayName === 'string') return o.displayName;
      if (typeof o.value === 'string') return o.child ? `${o.value} - ${String((o.child as { value: string }).value)}` : o.value;
      if (o.type === 'doc') return adfToText(v as AdfNode);
    }
    return String(v);
  };
  const userKey = (u: UserRecord | null) => (u === null ? null : deployment === 'cloud' ? u.accountId : u.name);
  /** The changelog items between two states of an issue. */
  function changes(a: IssueRecord, b: IssueRecord): ChangeItem[] {
    const items: ChangeItem[] = [];
    const add = (field: string, fieldId: string, from: string | null, fromString: string | null, to: string | null, toString: string | null, fieldtype: 'jira' | 'custom' = 'jira') => {
      if (fromString !== toString || from !== to) items.push({ field, fieldtype, fieldId, from, fromString, to, toString });
    };
    add('summary', 'summary', null, a.summary, null, b.summary);
    add('description', 'description', null, text(a.description), null, text(b.description));
    add('priority', 'priority', a.priority, a.priority, b.priority, b.priority);
    add('assignee', 'assignee', userKey(a.assignee), a.assignee?.displayName ?? null, userKey(b.assignee), b.assignee?.displayName ?? null);
    add('labels', 'labels', null, a.labels.join(' ') || null, null, b.labels.join(' ') || null);
    add('status', 'status', a.status, a.status, b.status, b.status);
    for (const f of customFields) add(f.name, f.id, null, shown(a.custom[f.id]), null, shown(b.custom[f.id]), 'custom');
    return items;
  }

  /** A write by `author` (ours, by default): moves `updated` and records what changed in the changelog. */
  function touch(rec: IssueRecord, change: (r: IssueRecord) => void, author: UserRecord = viewer): void {
    const before = copy(rec);
    change(rec);
    rec.updated = stamp();
    const items = changes(before, rec);
    if (items.length) rec.changelog.push({ id: String(nextHistoryId++), author, created: rec.updated, items });
    reindex(rec, copy(rec));
  }

  return {
    viewer,
    other,
    projects,
    users,
    transitions,
    customFields,
    screens,
    indexedProperties,
    stamp,
    richText,
    setLag: (ms: number): void => { lagMs = ms; },
    /** Search shows every write made so far, as once the lag has passed; nothing else moves (the clock, `updated`). */
    catchUp(): void {
      const at = now();
      for (const versions of index.values()) for (const v of versions) v.at = Math.min(v.at, at);
    },
    /** Whether the connection's user administers the projects (Jira lets only admins send notifyUsers=false). */
    admin: false as boolean,
    createProject(key: string, name = key): void {
      if (!projects.has(key)) projects.set(key, { id: String(10_000 + projects.size), key, name, counter: 0 });
    },
    user,
    userBy,
    issue(idOrKey: string): IssueRecord | undefined {
      return issues.get(idOrKey) ?? byKey.get(idOrKey.toUpperCase());
    },
    isDeleted: (idOrKey: string): boolean => deleted.has(idOrKey),
    all: (): IssueRecord[] => [...issues.values()],
    create(project: string, fields: Partial<Omit<IssueRecord, 'id' | 'key' | 'project' | 'created' | 'updated'>> & { summary: string }, reporter: UserRecord): IssueRecord {
      const p = projects.get(project);
      if (!p) throw new Error(`Jira double has no project ${project}`);
      const at = stamp();
      const rec: IssueRecord = {
        id: String(nextIssueId++), key: `${project}-${++p.counter}`, project, description: null, status: 'To Do', priority: 'Medium', assignee: null,
        reporter, labels: [], issueType: 'Task', custom: {}, properties: new Map(), comments: [], attachments: [], changelog: [], ...fields, created: at, updated: at,
      };
      issues.set(rec.id, rec);
      byKey.set(rec.key, rec);
      reindex(rec, copy(rec));
      return rec;
    },
    touch,
    /** An edit as another user would make it: always moves `updated`. */
    edit(rec: IssueRecord, change: IssueEdit): void {
      touch(rec, (r) => {
        if (change.summary !== undefined) r.summary = change.summary;
        if (change.description !== undefined) r.description = richText(change.description);
        if (change.labels !== undefined) r.labels = [...change.labels];
        if (change.priority !== undefined) r.priority = change.priority;
        if (change.status !== undefined) r.status = change.status;
        if (change.assignee !== undefined) r.assignee = change.assignee === null ? null : (userBy({ accountId: change.assignee, name: change.assignee }) ?? unknownUser(change.assignee));
        if (change.custom !== undefined) Object.assign(r.custom, change.custom);
      }, other);
    },
    addComment(rec: IssueRecord, body: RichText, author: UserRecord): CommentRecord {
      const at = stamp();
      const comment: CommentRecord = { id: String(nextCommentId++), body, author, created: at, updated: at, updateAuthor: author };
      // A comment moves the issue's `updated`, as in Jira.
      touch(rec, (r) => r.comments.push(comment));
      return comment;
    },
    remove(rec: IssueRecord): void {
      issues.delete(rec.id);
      byKey.delete(rec.key);
      deleted.add(rec.id).add(rec.key);
      reindex(rec, null);
    },
    /** The issues search can see now, as it sees them. */
    searchable(): IssueRecord[] {
      const out: IssueRecord[] = [];
      for (const versions of index.values()) {
        const visible = versions.filter((v) => v.at <= now()).at(-1);
        if (visible?.view) out.push(visible.view);
      }
      return out;
    },
  };
}
export type Store = ReturnType<typeof createStore>;
