import { randomBytes } from 'node:crypto';
import { connect as connectDefinition } from '../../connectors/connect';
import { capability } from '../../connectors/define';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RemoteError, isAuthError, isConflictError, isPermanentError, isRemoteError } from '../../connectors/errors';
import { redmine } from '../../connectors/redmine';
import type { ConnectorClient, Json, PullPage, RemoteItem } from '../../connectors/types';
import {
  type Redmine, type RmProject, addNote, createCustomField, createProject, editIssue, ensureRedmine, getIssue, redmineRequest, runRails, seedIssues,
} from '../support/redmine';
import { writeStampedAtOrAfter } from '../support/redmine/clock';
import { normalize } from '../../markup';

const logger = pino({ level: 'silent' });
let r: Redmine;

beforeAll(async () => {
  r = await ensureRedmine();
});

function connect(apiKey = r.apiKey, config: Record<string, unknown> = {}, users?: Array<{ hub: string; remote: string }>): ConnectorClient {
  return connectDefinition(redmine, {
    config: redmine.configSchema.parse({ baseUrl: r.url, ...config }),
    secrets: redmine.secretsSchema.parse({ apiKey }),
    logger,
    ...(users ? { binding: { id: 'b-1', users, fields: ['title', 'description', 'customFields'], options: {} } } : {}),
  });
}

async function pages(client: ConnectorClient, scope: string, cursor: Json | null): Promise<PullPage[]> {
  const out: PullPage[] = [];
  for await (const page of client.pull(scope, cursor)) out.push(page);
  return out;
}

const ids = (items: RemoteItem[]) => items.map((i) => Number(i.remoteId)).sort((a, b) => a - b);

async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}

/** A user who can be assigned issues in `project` (Developer role). */
async function addDeveloper(project: RmProject): Promise<string> {
  const login = `dev${randomBytes(4).toString('hex')}`;
  const { body } = await redmineRequest<{ user: { id: number } }>(r, 'POST', '/users.json', {
    user: { login, firstname: 'Dana', lastname: login, mail: `${login}@example.test`, password: `pw-${randomBytes(8).toString('hex')}` },
  });
  const { body: roles } = await redmineRequest<{ roles: Array<{ id: number; name: string }> }>(r, 'GET', '/roles.json');
  const developer = roles.roles.find((role) => role.name === 'Developer') ?? roles.roles[0];
  await redmineRequest(r, 'POST', `/projects/${project.identifier}/memberships.json`, { membership: { user_id: body.user.id, role_ids: [developer?.id] } });
  return `Dana ${login}`;
}

describe('markup at the edge', () => {
  const fields = { title: 'Markup', description: '', status: 'New', closed: false, priority: 'Normal', assignee: null, labels: [], customFields: {} };
  const markdown = '## Steps\n\n- open *the* page\n  1. click `a|b`\n- ping @alice\n\n```ts\nconst x = a * b;\n```\n\nSee [docs](https://example.com/d).';

  it('writes hub markdown as Textile (the default) and reads it back as the same markdown, on every read', async () => {
    const project = await createProject(r);
    const client = connect();
    const writer = capability(client, 'writer');
    const created = await writer.createItem(project.identifier, { fields: { ...fields, description: markdown }, marker: `tb-${randomBytes(4).toString('hex')}` });
    const stored = (await getIssue(r, Number(created.remoteId))).description ?? '';
    expect(stored).toContain('h2. Steps');
    // Redmine shows <code> text as stored: an entity there would show as typed.
    expect(stored).toContain('*# click <code>a|b</code>');
    expect(stored).toContain('<pre><code class="ts">const x = a * b;</code></pre>');
    expect(stored).toContain('"docs":https://example.com/d');
    expect(created.fields.description).toBe(normalize(markdown));
    // Read again (a pull): the same text, so an unchanged issue never looks edited (E1).
    expect((await client.getItem(project.identifier, created.remoteId))?.fields.description).toBe(normalize(markdown));

    const updated = await writer.updateItem(project.identifier, created.remoteId, { description: '**bold** and ~~gone~~' });
    expect((await getIssue(r, Number(created.remoteId))).description).toBe('*bold* and -gone-');
    expect(updated.fields.description).toBe('**bold** and ~~gone~~');

    const note = await capability(client, 'comments').addComment(project.identifier, created.remoteId, 'a *note* with `code`');
    expect(note.body).toBe('a *note* with `code`');
    const journals = (await getIssue(r, Number(created.remoteId), { include: 'journals' })).journals ?? [];
    expect(journals.map((j) => j.notes)).toContain('a _note_ with @code@');
  });

  it('reads Textile typed in Redmine as hub markdown', async () => {
    const project = await createProject(r);
    const issue = await seedIssues(r, project.identifier, 1);
    await editIssue(r, issue[0]!.id, { description: 'h3. Typed in Redmine\r\n\r\n* one\r\n*# two\r\n\r\nIt\'s "quoted" - fine.' });
    await addNote(r, issue[0]!.id, 'a _note_');
    const client = connect();
    expect((await client.getItem(project.identifier, String(issue[0]!.id)))?.fields.description).toBe('### Typed in Redmine\n\n- one\n  1. two\n\nIt\'s "quoted" - fine.');
    expect((await client.listComments(project.identifier, String(issue[0]!.id))).map((c) => c.body)).toEqual(['a *note*']);
  });

  it('sends markdown as it is to a CommonMark Redmine', async () => {
    const project = await createProject(r);
    const client = connect(r.apiKey, { textFormatting: 'common_mark' });
    const created = await capability(client, 'writer').createItem(project.identifier, { fields: { ...fields, description: markdown }, marker: `tb-${randomBytes(4).toString('hex')}` });
    expect((await getIssue(r, Number(created.remoteId))).description).toContain(normalize(markdown).replace(/\n/g, '\r\n'));
    expect(created.fields.description).toBe(normalize(markdown));
  });
});

describe('pull', () => {
  it('lists a seeded project with its total, leaving subprojects to their own binding', async () => {
    const project = await createProject(r);
    const seeded = await seedIssues(r, project.identifier, 105);
    const child = await createProject(r);
    await redmineRequest(r, 'PUT', `/projects/${child.identifier}.json`, { project: { parent_id: project.id } });
    await seedIssues(r, child.identifier, 2, { subjectPrefix: 'Child' });

    const result = await pages(connect(), project.identifier, null);
    const items = result.flatMap((p) => p.items);
    expect(ids(items)).toEqual(seeded.map((i) => i.id).sort((a, b) => a - b));
    expect(result.every((p) => p.total === 105)).toBe(true);
    expect(result.at(-1)?.watermark).toMatchObject({ phase: 'watermark' });
    expect(items[0]).toMatchObject({
      key: `#${items[0]?.remoteId}`,
      url: `${r.url}/issues/${items[0]?.remoteId}`,
      fields: { status: 'New', closed: false, priority: 'Normal', assignee: null, labels: [], customFields: {} },
    });

    const scopes = await connect().listScopes();
    expect(scopes.find((g) => g.group === project.name)?.scopes.map((s) => s.id)).toEqual([child.identifier]);
  });

  it('an incremental pull returns only what changed (plus the overlap window), then one 304', async () => {
    const project = await createProject(r);
    const seeded = await seedIssues(r, project.identifier, 12);
    // The seeded issues must fall out of the overlap window: the watermark starts 5 s before the newest
    // update seen (the sentinel's), and Redmine returns one second more, so the sentinel is stamped 7 s
    // after the last seeded issue. Redmine's own stamps decide, however long seeding took.
    const lastSeeded = Math.max(...seeded.map((i) => Date.parse(i.updated_on)));
    const sentinel = seeded[0]!.id;
    await writeStampedAtOrAfter(r, sentinel, lastSeeded + 7_000, (n) => editIssue(r, sentinel, { subject: `sentinel ${n}` }));
    const watermark = (await pages(connect(), project.identifier, null)).at(-1)?.watermark ?? null;

    const edited = seeded[5]!.id;
    const noted = seeded[8]!.id;
    await editIssue(r, edited, { subject: 'Edited in Redmine', priority_id: 3 });
    await addNote(r, noted, 'a new note');
    const changed = await pages(connect(), project.identifier, watermark);
    const items = changed.flatMap((p) => p.items);
    expect(ids(items)).toEqual([sentinel, edited, noted].sort((a, b) => a - b));
    expect(items.find((i) => i.remoteId === String(edited))?.fields).toMatchObject({ title: 'Edited in Redmine', priority: 'High' });

    const quiet = await pages(connect(), project.identifier, changed.at(-1)?.watermark ?? null);
    expect(quiet).toEqual([{ items: [], next: null, watermark: changed.at(-1)?.watermark, notModified: true }]);
  });

  it('a bulk edit that puts 250 issues within a few seconds is listed through to the end, resuming one page at a time', async () => {
    const project = await createProject(r);
    const seeded = await seedIssues(r, project.identifier, 250, { concurrency: 4 });
    // What a fast bulk edit does: about 40 issues per second, with sub-second parts Redmine keeps but does not show.
    await runRails(
      't0 = Time.now.change(usec: 0) - 60; Issue.where(project_id: Integer(ENV.fetch("PID"))).order(:id).each_with_index { |i, k| i.update_columns(updated_on: t0 + k / 40 + 0.5) }',
      { PID: String(project.id) },
    );
    const client = connect();
    const seen = new Set<number>();
    let cursor: Json | null = null;
    let calls = 0;
    do {
      // One page per call, resumed from the cursor, as the initial sync's activities do.
      const [page] = await pages1(client, project.identifier, cursor);
      for (const item of page!.items) seen.add(Number(item.remoteId));
      cursor = page!.next;
      calls++;
    } while (cursor !== null && calls < 20);
    expect(cursor).toBeNull();
    expect(calls).toBeLessThanOrEqual(4);
    expect([...seen].sort((a, b) => a - b)).toEqual(seeded.map((i) => i.id).sort((a, b) => a - b));
  }, 180_000); // seeding 250 issues through Redmine on SQLite takes most of a minute on a loaded 2-core machine
});

/** The first page of a pull: what one sync activity fetches. */
async function pages1(client: ConnectorClient, scope: string, cursor: Json | null): Promise<PullPage[]> {
  const iterator = client.pull(scope, cursor)[Symbol.asyncIterator]();
  const first = await iterator.next();
  await iterator.return?.();
  return first.done ? [] : [first.value];
}

describe('reads', () => {
  it('turns journals with notes into comments, skipping field changes and private notes', async () => {
    const project = await createProject(r);
    const [issue] = await seedIssues(r, project.identifier, 1);
    await addNote(r, issue!.id, 'first\nsecond line');
    await editIssue(r, issue!.id, { subject: 'renamed' });
    await addNote(r, issue!.id, 'hidden', { privateNotes: true });
    await addNote(r, issue!.id, 'last');

    const comments = await connect().listComments(project.identifier, String(issue!.id));
    expect(comments.map((c) => [c.author, c.body])).toEqual([['Redmine Admin', 'first\nsecond line'], ['Redmine Admin', 'last']]);
    expect(Number(comments[0]?.remoteId)).toBeLessThan(Number(comments[1]?.remoteId));
  });

  it('a bad key is an AuthError, and testConnection says so', async () => {
    const project = await createProject(r);
    const bad = connect('0'.repeat(40));
    expect(isAuthError(await failure(bad.getItem(project.identifier, '1')))).toBe(true);
    await expect(bad.testConnection()).resolves.toMatchObject({ ok: false });
    await expect(connect().testConnection()).resolves.toMatchObject({ ok: true, account: 'admin' });
  });
});

describe('writes', () => {
  const fields = {
    title: 'From the hub', description: 'Line one\nline two', status: 'In Progress', closed: false,
    priority: 'High', assignee: null, labels: [], customFields: {},
  };

  it('creates with a marker, finds it by marker, updates, comments and deletes', async () => {
    const project = await createProject(r);
    await seedIssues(r, project.identifier, 3);
    const client = connect();
    const marker = `tb-${randomBytes(4).toString('hex')}`;

    const created = await capability(client, 'writer').createItem(project.identifier, { fields, marker });
    expect(created.fields).toMatchObject({ title: 'From the hub', description: 'Line one\nline two', status: 'In Progress', priority: 'High' });
    expect((await getIssue(r, Number(created.remoteId))).description).toContain(`<!-- trackbridge:${marker} -->`);
    await expect(capability(client, 'writer').findByMarker(project.identifier, marker)).resolves.toMatchObject({ remoteId: created.remoteId });
    await expect(capability(client, 'writer').findByMarker(project.identifier, `${marker}x`)).resolves.toBeNull();

    const updated = await capability(client, 'writer').updateItem(project.identifier, created.remoteId, { title: 'Renamed', closed: true }, created.version);
    expect(updated.fields).toMatchObject({ title: 'Renamed', status: 'Closed', closed: true });

    // The version is updated_on, in whole seconds: the edit counts as a change once stamped in a later second.
    const versioned = Date.parse(updated.version!);
    await writeStampedAtOrAfter(r, Number(created.remoteId), versioned + 1_000, (n) => editIssue(r, Number(created.remoteId), { subject: `Edited in Redmine ${n}` }));
    expect(isConflictError(await failure(capability(client, 'writer').updateItem(project.identifier, created.remoteId, { title: 'Stale' }, updated.version)))).toBe(true);

    const comment = await capability(client, 'comments').addComment(project.identifier, created.remoteId, 'hello\nfrom the hub');
    expect(comment).toMatchObject({ author: 'Redmine Admin', body: 'hello\nfrom the hub' });
    const edited = await capability(client, 'comments').updateComment!(project.identifier, created.remoteId, comment.remoteId, 'edited note');
    expect(edited).toMatchObject({ remoteId: comment.remoteId, body: 'edited note' });

    await capability(client, 'writer').deleteItem!(project.identifier, created.remoteId);
    await expect(client.getItem(project.identifier, created.remoteId)).resolves.toBeNull();
    await capability(client, 'writer').deleteItem!(project.identifier, created.remoteId); // already gone: still fine
  });

  it('maps assignees and custom fields by name', async () => {
    const project = await createProject(r);
    const developer = await addDeveloper(project);
    const field = await createCustomField(r, { name: `Severity ${randomBytes(3).toString('hex')}`, format: 'string', project: project.identifier });
    const client = connect();
    const created = await capability(client, 'writer').createItem(project.identifier, {
      fields: { ...fields, assignee: developer, customFields: { [field.name]: 'major' } },
      marker: `tb-${randomBytes(4).toString('hex')}`,
    });
    expect(created.fields).toMatchObject({ assignee: developer, customFields: { [field.name]: 'major' } });
    const cleared = await capability(client, 'writer').updateItem(project.identifier, created.remoteId, { assignee: null, customFields: { [field.name]: null } });
    expect(cleared.fields).toMatchObject({ assignee: null, customFields: { [field.name]: null } });

    const error = await failure(capability(client, 'writer').updateItem(project.identifier, created.remoteId, { assignee: 'Nobody Here' }));
    expect(isPermanentError(error)).toBe(true);
    expect(error.message).toContain('"Nobody Here"');
  });

  it('leaves out a custom field this project does not have, with a warning, and writes the rest (another tracker\'s field in the hub map)', async () => {
    const project = await createProject(r);
    const field = await createCustomField(r, { name: `Severity ${randomBytes(3).toString('hex')}`, format: 'string', project: project.identifier });
    const writer = capability(connect(), 'writer');
    const created = await writer.createItem(project.identifier, { fields: { ...fields, customFields: { [field.name]: 'major', Team: 'Core' } }, marker: `tb-${randomBytes(4).toString('hex')}` });
    expect(created.fields.customFields[field.name]).toBe('major');
    expect(created.warnings).toEqual([`Redmine ${project.identifier} has no issue custom field named "Team": left out`]);
    const edited = await writer.updateItem(project.identifier, created.remoteId, { title: 'Renamed', customFields: { Team: 'Platform', [field.name]: 'minor' } });
    expect([edited.fields.title, edited.fields.customFields[field.name]]).toEqual(['Renamed', 'minor']);
    expect(edited.warnings).toEqual([`Redmine ${project.identifier} has no issue custom field named "Team": left out`]);
  });

  it("writes and reads mentions through the binding's user map (Textile @login)", async () => {
    const project = await createProject(r);
    const client = connect(r.apiKey, {}, [{ hub: 'alice', remote: 'alice.smith' }]);
    const created = await capability(client, 'writer').createItem(project.identifier, {
      fields: { ...fields, description: 'Ask @alice, not @bob.' }, marker: `tb-${randomBytes(4).toString('hex')}`,
    });
    expect((await getIssue(r, Number(created.remoteId))).description).toMatch(/^Ask @alice\.smith, not @bob\./);
    expect(created.fields.description).toBe('Ask @alice, not @bob.');
    const note = await capability(client, 'comments').addComment(project.identifier, created.remoteId, 'Thanks @alice');
    expect(note.body).toBe('Thanks @alice');
    expect((await getIssue(r, Number(created.remoteId), { include: 'journals' })).journals?.at(-1)?.notes).toBe('Thanks @alice.smith');
  });

  it('an unknown status name is a PermanentError that names it', async () => {
    const project = await createProject(r);
    const [issue] = await seedIssues(r, project.identifier, 1);
    const error = await failure(capability(connect(), 'writer').updateItem(project.identifier, String(issue!.id), { status: 'Wontfix-ish' }));
    expect(isPermanentError(error)).toBe(true);
    expect(error.message).toContain('"Wontfix-ish"');
    expect((await getIssue(r, issue!.id)).status.name).toBe('New');
  });
});
