import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Redmine,
  addNote,
  createCustomField,
  createProject,
  editIssue,
  ensureRedmine,
  getIssue,
  listAllIssues,
  listIssues,
  listPriorities,
  listStatuses,
  redmineRequest,
  redmineTime,
  seedIssues,
} from './support/redmine';

describe('Redmine test support', () => {
  let r: Redmine;
  beforeAll(async () => {
    r = await ensureRedmine();
  }, 600_000);

  it('scripts/redmine.sh ignores trackbridge\'s DATABASE_URL (a laptop setup exports it; Rails would take it as Redmine\'s own)', async () => {
    const script = fileURLToPath(new URL('../scripts/redmine.sh', import.meta.url));
    const { stdout } = await promisify(execFile)('bash', [script, 'runner', 'puts Issue.count >= 0'], {
      env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trackbridge' }, timeout: 120_000,
    });
    expect(stdout.trim().split('\n').at(-1)).toBe('true');
  }, 150_000);

  it('has default statuses (with is_closed) and a default priority', async () => {
    const statuses = await listStatuses(r);
    expect(statuses.some((s) => s.is_closed)).toBe(true);
    expect(statuses.some((s) => !s.is_closed)).toBe(true);
    const priorities = await listPriorities(r);
    expect(priorities.filter((p) => p.is_default)).toHaveLength(1);
  });

  it('seeds issues with journals and lists them by updated_on', async () => {
    const project = await createProject(r);
    expect(project.trackers.length).toBeGreaterThan(0);
    // Redmine's ">=" filter has second precision; start one second early to be safe.
    const since = new Date(Date.now() - 1000);

    const seeded = await seedIssues(r, project.identifier, 20, { withJournalsEvery: 4 });
    expect(seeded).toHaveLength(20);
    expect(new Set(seeded.map((i) => i.id)).size).toBe(20);

    // The exact query a connector sends: ">=" must be percent-encoded.
    const path = `/issues.json?project_id=${project.identifier}&status_id=*&sort=updated_on`
      + `&updated_on=%3E%3D${redmineTime(since)}&offset=0&limit=100`;
    const raw = await redmineRequest<{ issues: Array<{ id: number; updated_on: string }>; total_count: number; limit: number }>(r, 'GET', path);
    expect(raw.body.total_count).toBe(20);
    expect(raw.body.limit).toBe(100);
    expect(raw.body.issues.map((i) => i.id).sort((a, b) => a - b)).toEqual(seeded.map((i) => i.id).sort((a, b) => a - b));
    const stamps = raw.body.issues.map((i) => i.updated_on);
    expect([...stamps].sort()).toEqual(stamps); // ascending

    // Paging through the helper gives the same set.
    const page = await listIssues(r, { project: project.identifier, updatedSince: since, limit: 7, offset: 7 });
    expect(page.issues).toHaveLength(7);
    expect(page.total_count).toBe(20);
    expect(await listAllIssues(r, { project: project.identifier, updatedSince: since })).toHaveLength(20);

    // Journals: every 4th issue has one note.
    const withNote = await getIssue(r, seeded[3]!.id, { include: 'journals' });
    expect(withNote.journals).toHaveLength(1);
    expect(withNote.journals![0]!.notes).toBe('Seeded note on issue 4');
    expect(withNote.journals![0]!.details).toEqual([]);
    const without = await getIssue(r, seeded[0]!.id, { include: 'journals' });
    expect(without.journals).toEqual([]);

    // Field changes appear as journal details; notes via addNote.
    const closed = (await listStatuses(r)).find((s) => s.is_closed)!;
    await editIssue(r, seeded[0]!.id, { subject: 'Renamed', status_id: closed.id });
    await addNote(r, seeded[0]!.id, 'hello');
    const edited = await getIssue(r, seeded[0]!.id, { include: ['journals'] });
    expect(edited.subject).toBe('Renamed');
    expect(edited.status).toMatchObject({ id: closed.id, is_closed: true });
    expect(edited.closed_on).not.toBeNull();
    expect(edited.journals!.map((j) => j.notes)).toEqual(['', 'hello']);
    expect(edited.journals![0]!.details).toEqual(expect.arrayContaining([
      { property: 'attr', name: 'subject', old_value: 'Seeded issue 1', new_value: 'Renamed' },
      { property: 'attr', name: 'status_id', old_value: String(seeded[0]!.status.id), new_value: String(closed.id) },
    ]));

    // A filter later than every update finds nothing.
    const future = await listIssues(r, { project: project.identifier, updatedSince: new Date(Date.now() + 5000) });
    expect(future.total_count).toBe(0);
  });

  it('creates issue custom fields enabled for a project', async () => {
    const project = await createProject(r);
    const field = await createCustomField(r, { name: `TB Team ${project.identifier}`, format: 'string', project: project.identifier });
    expect(field.field_format).toBe('string');
    const [issue] = await seedIssues(r, project.identifier, 1, { fields: () => ({ custom_fields: [{ id: field.id, value: 'core' }] }) });
    const read = await getIssue(r, issue!.id);
    // A real Redmine may hold other fields for all projects (scripts/redmine.sh adds an empty one): ours is among them.
    expect(read.custom_fields).toContainEqual({ id: field.id, name: field.name, value: 'core' });
  }, 120_000);

  it('has an issue custom field enabled for every project and left empty, as real Redmines often do', async () => {
    const project = await createProject(r);
    const [issue] = await seedIssues(r, project.identifier, 1);
    const read = await getIssue(r, issue!.id);
    const supplier = read.custom_fields?.find((f) => f.name === 'Supplier ticket');
    expect(supplier).toBeDefined();
    expect([null, '']).toContain(supplier!.value);
  }, 120_000);
});
