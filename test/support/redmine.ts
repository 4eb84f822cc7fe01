/**
 * Test helpers for the real Redmine managed by scripts/redmine.sh (Debian packages, sqlite, puma).
 *
 * Every test should work in its own project (`createProject()` picks a unique identifier), so test
 * files never see each other's issues. All REST calls go through `redmineRequest`, which retries the
 * 500s Redmine answers when sqlite is locked by a concurrent write.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export interface Redmine {
  url: string;
  apiKey: string;
}

export interface RmRef {
  id: number;
  name: string;
}

export interface RmCustomValue {
  id: number;
  name: string;
  multiple?: boolean;
  value: string | string[] | null;
}

export interface RmJournalDetail {
  /** "attr" (issue column), "cf" (custom field, name = field id), "attachment", "relation". */
  property: string;
  name: string;
  old_value: string | null;
  new_value: string | null;
}

export interface RmJournal {
  id: number;
  user: RmRef;
  notes: string;
  created_on: string;
  private_notes: boolean;
  details: RmJournalDetail[];
}

export interface RmIssue {
  id: number;
  project: RmRef;
  tracker: RmRef;
  status: RmRef & { is_closed: boolean };
  priority: RmRef;
  author: RmRef;
  assigned_to?: RmRef;
  subject: string;
  description: string | null;
  start_date: string | null;
  due_date: string | null;
  done_ratio: number;
  is_private: boolean;
  estimated_hours: number | null;
  custom_fields?: RmCustomValue[];
  created_on: string;
  updated_on: string;
  closed_on: string | null;
  journals?: RmJournal[];
}

export interface RmProject {
  id: number;
  name: string;
  identifier: string;
  trackers: RmRef[];
}

export interface RmIssueList {
  issues: RmIssue[];
  total_count: number;
  offset: number;
  limit: number;
}

export interface RmStatus {
  id: number;
  name: string;
  is_closed: boolean;
}

export interface RmPriority {
  id: number;
  name: string;
  is_default: boolean;
  active: boolean;
}

export interface RmTracker {
  id: number;
  name: string;
  default_status: RmRef;
}

export type CustomFieldFormat = 'string' | 'text' | 'int' | 'float' | 'date' | 'bool' | 'list' | 'link';

export interface RmCustomField {
  id: number;
  name: string;
  field_format: CustomFieldFormat;
}

export class RedmineHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`Redmine ${method} ${path} -> ${status}: ${body.slice(0, 500)}`);
    this.name = 'RedmineHttpError';
  }
}

export const REDMINE_SCRIPT = fileURLToPath(new URL('../../scripts/redmine.sh', import.meta.url));
export const REDMINE_PORT = Number(process.env.REDMINE_PORT ?? 3100);
export const REDMINE_URL = `http://127.0.0.1:${REDMINE_PORT}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs scripts/redmine.sh with the given arguments; resolves with its stdout. */
export function runRedmineScript(args: string[], timeoutMs = 15 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [REDMINE_SCRIPT, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/redmine.sh ${args[0] ?? ''} failed: ${error.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

async function readKey(): Promise<string> {
  const key = (await runRedmineScript(['key'])).trim().split('\n').pop() ?? '';
  if (!/^[0-9a-f]{40}$/.test(key)) throw new Error(`scripts/redmine.sh key printed no API key: ${JSON.stringify(key)}`);
  return key;
}

/** True when Redmine answers an authenticated REST call with 200. */
export async function redmineAnswers(r: Redmine, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${r.url}/users/current.json`, {
      headers: { 'X-Redmine-API-Key': r.apiKey },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

let cachedKey: string | undefined;

/** Starts Redmine (installing it on first use) unless it already answers; returns url and admin key. */
export async function ensureRedmine(): Promise<Redmine> {
  cachedKey ??= process.env.REDMINE_API_KEY ?? (await readKey());
  const r: Redmine = { url: REDMINE_URL, apiKey: cachedKey };
  if (await redmineAnswers(r)) return r;
  return startRedmine();
}

/** `scripts/redmine.sh start`: returns once the REST API answers. */
export async function startRedmine(): Promise<Redmine> {
  await runRedmineScript(['start']);
  cachedKey = await readKey(); // start may have refreshed a stale key
  return { url: REDMINE_URL, apiKey: cachedKey };
}

/** `scripts/redmine.sh stop`: returns once the server process is gone and the port is closed. */
export async function stopRedmine(): Promise<void> {
  await runRedmineScript(['stop'], 60_000);
}

/**
 * Runs Ruby inside Redmine (`bin/rails runner`, ~5 s per call). Values are best passed through
 * `env` rather than interpolated into the code. Retries when sqlite is locked by the live server.
 */
export async function runRails(ruby: string, env: Record<string, string> = {}): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile('bash', [REDMINE_SCRIPT, 'runner', ruby], { env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => (error ? reject(new Error(`rails runner failed: ${error.message}\n${stderr.slice(-3000)}`)) : resolve(stdout)));
      });
    } catch (error) {
      if (attempt >= 4 || !/BusyException|database is locked/.test(String(error))) throw error;
      await sleep(500 * attempt);
    }
  }
}

export interface RequestOptions {
  /** Attempts on 5xx / connection errors (sqlite "database is locked" surfaces as 500). Default 10. */
  attempts?: number;
  /** Statuses returned instead of thrown (besides 2xx). */
  accept?: number[];
  headers?: Record<string, string>;
}

export interface RmResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** One REST call with the admin key; JSON in and out; retries transient failures. */
export async function redmineRequest<T = unknown>(
  r: Redmine,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<RmResponse<T>> {
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${r.url}${path}`, {
        method,
        headers: {
          'X-Redmine-API-Key': r.apiKey,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(backoff(attempt));
      continue;
    }
    const text = await res.text();
    if (res.status >= 500 && attempt < attempts) {
      await sleep(backoff(attempt));
      continue;
    }
    if (!res.ok && !(options.accept ?? []).includes(res.status)) throw new RedmineHttpError(method, path, res.status, text);
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }
}

function backoff(attempt: number): number {
  return Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random());
}

/** A fresh, valid project identifier (lowercase, starts with a letter, ≤ 100 chars). */
export function uniqueIdentifier(prefix = 'tb'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '') || 'tb';
  return `${clean.slice(0, 60)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function listTrackers(r: Redmine): Promise<RmTracker[]> {
  return (await redmineRequest<{ trackers: RmTracker[] }>(r, 'GET', '/trackers.json')).body.trackers;
}

export async function listStatuses(r: Redmine): Promise<RmStatus[]> {
  return (await redmineRequest<{ issue_statuses: RmStatus[] }>(r, 'GET', '/issue_statuses.json')).body.issue_statuses;
}

export async function listPriorities(r: Redmine): Promise<RmPriority[]> {
  return (await redmineRequest<{ issue_priorities: RmPriority[] }>(r, 'GET', '/enumerations/issue_priorities.json')).body.issue_priorities;
}

/**
 * Creates a public project with a unique identifier (unless given) and issue tracking enabled.
 * `trackers` are names or ids; all trackers by default.
 */
export async function createProject(
  r: Redmine,
  options: { identifier?: string; name?: string; trackers?: Array<number | string>; description?: string } = {},
): Promise<RmProject> {
  const identifier = options.identifier ?? uniqueIdentifier('tb');
  const all = await listTrackers(r);
  if (all.length === 0) throw new Error('Redmine has no trackers: run scripts/redmine.sh install (loads default data)');
  const wanted = options.trackers ?? all.map((t) => t.id);
  const trackerIds = wanted.map((w) => {
    const t = all.find((x) => x.id === w || x.name === w);
    if (!t) throw new Error(`no Redmine tracker ${String(w)} (have ${all.map((x) => x.name).join(', ')})`);
    return t.id;
  });
  await redmineRequest(r, 'POST', '/projects.json', {
    project: {
      identifier,
      name: options.name ?? identifier,
      description: options.description ?? '',
      is_public: true,
      tracker_ids: trackerIds,
      enabled_module_names: ['issue_tracking'],
    },
  });
  return getProject(r, identifier);
}

export async function getProject(r: Redmine, identifier: string | number): Promise<RmProject> {
  const res = await redmineRequest<{ project: RmProject }>(r, 'GET', `/projects/${encodeURIComponent(String(identifier))}.json?include=trackers`);
  return res.body.project;
}

export type IssueFields = Record<string, unknown> & {
  subject?: string;
  description?: string;
  tracker_id?: number;
  status_id?: number;
  priority_id?: number;
  notes?: string;
  private_notes?: boolean;
  custom_fields?: Array<{ id: number; value: string | string[] }>;
};

/** POST /issues.json; returns the created issue (Redmine answers 201 with the issue JSON). */
export async function createIssue(r: Redmine, project: string | number, fields: IssueFields = {}): Promise<RmIssue> {
  const res = await redmineRequest<{ issue: RmIssue }>(r, 'POST', '/issues.json', {
    issue: { project_id: project, subject: 'Untitled', ...fields },
  });
  return res.body.issue;
}

/** PUT /issues/{id}.json (Redmine answers 204, no body). Field changes become a journal with `details`. */
export async function editIssue(r: Redmine, id: number, fields: IssueFields): Promise<void> {
  await redmineRequest(r, 'PUT', `/issues/${id}.json`, { issue: fields });
}

/** Adds a journal note (PUT with `notes`). */
export async function addNote(r: Redmine, id: number, notes: string, options: { privateNotes?: boolean } = {}): Promise<void> {
  await editIssue(r, id, { notes, ...(options.privateNotes ? { private_notes: true } : {}) });
}

export async function getIssue(r: Redmine, id: number, options: { include?: string | string[] } = {}): Promise<RmIssue> {
  const include = Array.isArray(options.include) ? options.include.join(',') : options.include;
  const res = await redmineRequest<{ issue: RmIssue }>(r, 'GET', `/issues/${id}.json${include ? `?include=${encodeURIComponent(include)}` : ''}`);
  return res.body.issue;
}

/** Redmine's filter format for a timestamp: second precision, UTC, "Z" (fractions are rejected). */
export function redmineTime(t: Date | string): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ListIssuesOptions {
  /** Project identifier or id. */
  project?: string | number;
  /** Adds `updated_on=>=<t>`. Note Redmine turns ">= T" into "> T - 1s" (one second of overlap). */
  updatedSince?: Date | string;
  /** Default "*" (open and closed). */
  statusId?: string | number;
  /** Default "updated_on" (ascending). Add ",id" for a stable order within one second. */
  sort?: string;
  offset?: number;
  /** Redmine caps it at 100. */
  limit?: number;
  include?: string;
}

/** One page of GET /issues.json. */
export async function listIssues(r: Redmine, options: ListIssuesOptions = {}): Promise<RmIssueList> {
  const q = new URLSearchParams();
  if (options.project !== undefined) q.set('project_id', String(options.project));
  q.set('status_id', String(options.statusId ?? '*'));
  q.set('sort', options.sort ?? 'updated_on');
  if (options.updatedSince !== undefined) q.set('updated_on', `>=${redmineTime(options.updatedSince)}`);
  q.set('offset', String(options.offset ?? 0));
  q.set('limit', String(options.limit ?? 100));
  if (options.include) q.set('include', options.include);
  // URLSearchParams encodes ">=" as %3E%3D and "*" stays literal; both are what Redmine expects.
  return (await redmineRequest<RmIssueList>(r, 'GET', `/issues.json?${q.toString()}`)).body;
}

/** Every page of listIssues (offset paging, 100 at a time). */
export async function listAllIssues(r: Redmine, options: Omit<ListIssuesOptions, 'offset' | 'limit'> = {}): Promise<RmIssue[]> {
  const out: RmIssue[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await listIssues(r, { ...options, offset, limit: 100 });
    out.push(...page.issues);
    if (page.issues.length === 0 || offset + page.issues.length >= page.total_count) return out;
  }
}

export interface SeedOptions {
  /** Every k-th issue (1-based: k, 2k, …) gets a follow-up note, i.e. a journal. Default: none. */
  withJournalsEvery?: number;
  /** Requests in flight. sqlite serialises writes: 1 is fastest (300 issues ≈ 10 s), more only adds lock 500s. Default 1. */
  concurrency?: number;
  /** Subject prefix; subjects are "<prefix> <i>" with i from 1. Default "Seeded issue". */
  subjectPrefix?: string;
  /** Extra fields per issue (tracker_id, priority_id, custom_fields…). */
  fields?: (i: number) => IssueFields;
}

/** Creates n issues (in order of i, ids ascending when concurrency is 1) and returns them. */
export async function seedIssues(r: Redmine, project: string | number, n: number, options: SeedOptions = {}): Promise<RmIssue[]> {
  const every = options.withJournalsEvery ?? 0;
  const prefix = options.subjectPrefix ?? 'Seeded issue';
  const results: RmIssue[] = new Array<RmIssue>(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= n) return;
      const i = index + 1;
      const issue = await createIssue(r, project, {
        subject: `${prefix} ${i}`,
        description: `Seeded description ${i}`,
        ...options.fields?.(i),
      });
      if (every > 0 && i % every === 0) await addNote(r, issue.id, `Seeded note on issue ${i}`);
      results[index] = issue;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, n)) }, worker));
  return results;
}

const CUSTOM_FIELD_RUBY = `
require "json"
name = ENV.fetch("TB_CF_NAME")
format = ENV.fetch("TB_CF_FORMAT")
cf = IssueCustomField.find_by(name: name)
if cf
  raise "custom field #{name} exists with format #{cf.field_format}" if cf.field_format != format
else
  cf = IssueCustomField.new(name: name, field_format: format)
  cf.is_for_all = ENV["TB_CF_FOR_ALL"] == "1"
  cf.is_filter = true
  cf.visible = true
  cf.searchable = %w(string text).include?(format)
end
values = ENV["TB_CF_VALUES"].to_s
cf.possible_values = JSON.parse(values) unless values.empty?
cf.multiple = ENV["TB_CF_MULTIPLE"] == "1" if cf.new_record? && format == "list"
tracker_ids = ENV["TB_CF_TRACKERS"].to_s.split(",").map(&:to_i)
trackers = tracker_ids.empty? ? Tracker.all.to_a : Tracker.where(id: tracker_ids).to_a
cf.trackers = (cf.trackers.to_a | trackers)
project = ENV["TB_CF_PROJECT"].to_s
unless project.empty?
  p = Project.find(project)
  cf.projects = (cf.projects.to_a | [p])
end
cf.save!
puts "TB_CF=" + { id: cf.id, name: cf.name, field_format: cf.field_format }.to_json
`;

/**
 * Creates (or reuses, by name) an issue custom field through `rails runner` — Redmine's REST API
 * cannot create custom fields — enabled for the given trackers (default all) and, if given, the
 * project. `forAll` makes it apply to every project. Takes ~5 s (Rails boot).
 */
export async function createCustomField(
  _r: Redmine,
  options: {
    name: string;
    format: CustomFieldFormat;
    project?: string;
    trackers?: number[];
    possibleValues?: string[];
    multiple?: boolean;
    forAll?: boolean;
  },
): Promise<RmCustomField> {
  const out = await runRails(CUSTOM_FIELD_RUBY, {
    TB_CF_NAME: options.name,
    TB_CF_FORMAT: options.format,
    TB_CF_FOR_ALL: options.forAll ? '1' : '0',
    TB_CF_VALUES: options.possibleValues ? JSON.stringify(options.possibleValues) : '',
    TB_CF_MULTIPLE: options.multiple ? '1' : '0',
    TB_CF_TRACKERS: (options.trackers ?? []).join(','),
    TB_CF_PROJECT: options.project ?? '',
  });
  const line = out.split('\n').find((l) => l.startsWith('TB_CF='));
  if (!line) throw new Error(`rails runner printed no custom field: ${out}`);
  return JSON.parse(line.slice('TB_CF='.length)) as RmCustomField;
}

/**
 * Enables an existing issue custom field for a project over REST (PUT /projects/{id}.json with
 * issue_custom_field_ids). The field must already be enabled for the issue's tracker.
 */
export async function enableCustomField(r: Redmine, project: string, fieldId: number): Promise<void> {
  const res = await redmineRequest<{ project: { issue_custom_fields?: RmRef[] } }>(
    r, 'GET', `/projects/${encodeURIComponent(project)}.json?include=issue_custom_fields`,
  );
  const ids = new Set((res.body.project.issue_custom_fields ?? []).map((f) => f.id));
  ids.add(fieldId);
  await redmineRequest(r, 'PUT', `/projects/${encodeURIComponent(project)}.json`, { project: { issue_custom_field_ids: [...ids] } });
}
