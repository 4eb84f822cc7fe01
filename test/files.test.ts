import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubDouble, type GitHubDouble } from './support/github-double';
import { eventually } from './support/harness';
import { createIssue, createProject, ensureRedmine, getIssue, pastIssueUpdateSecond, redmineRequest, type Redmine } from './support/redmine';
import { startStack, type Stack } from './support/scenario';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const REPO = 'octo/files';
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

interface RmAttachment { id: number; filename: string; filesize: number; content_type: string }

/** The files rule end to end: real Redmine (uploads.json), the GitHub double (a link in a comment), real Temporal and Postgres. */
describe('files rule: attachments both ways', { timeout: 240_000 }, () => {
  let stack: Stack;
  let redmine: Redmine;
  let gh: GitHubDouble;
  let rm: Awaited<ReturnType<Stack['bind']>>;
  let ghBinding: Json;

  const upload = (storyId: string, name: string | null, data: Uint8Array, contentType = 'text/plain') =>
    stack.api.app.request(`/stories/${storyId}/attachments${name === null ? '' : `?name=${encodeURIComponent(name)}`}`, {
      method: 'POST', headers: { authorization: `Bearer ${stack.api.token}`, 'content-type': contentType }, body: data,
    });
  const hubFiles = async (storyId: string) => (await stack.get(`/stories/${storyId}/attachments`)).items as Json[];
  const rmFiles = async (issueId: number) => ((await getIssue(redmine, issueId, { include: 'attachments' })) as unknown as { attachments?: RmAttachment[] }).attachments ?? [];
  const rmDownload = async (a: RmAttachment) =>
    new Uint8Array(await (await fetch(`${redmine.url}/attachments/download/${a.id}/${encodeURIComponent(a.filename)}`, { headers: { 'x-redmine-api-key': redmine.apiKey } })).arrayBuffer());
  const linkOf = (storyId: string, bindingId: string) =>
    eventually(async () => (await stack.get(`/stories/${storyId}`)).links.find((l: Json) => l.bindingId === bindingId && l.remoteId)?.remoteId as string | undefined);

  beforeAll(async () => {
    redmine = await ensureRedmine();
    gh = await startGitHubDouble();
    gh.createRepo(REPO);
    stack = await startStack();
    rm = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, (await createProject(redmine)).identifier);
    const connection = await stack.post('/connections', { connector: 'github', name: 'gh', config: { baseUrl: gh.url }, secrets: { token: gh.token } });
    ghBinding = await stack.post('/bindings', { projectId: rm.project.id, connectionId: connection.id, scope: REPO, pullIntervalSeconds: 3600 });
    expect((await stack.api.call('PUT', `/bindings/${rm.binding.id}/rules`, { files: { prefix: 'customer-' } })).status).toBe(200);
    expect((await stack.api.call('PUT', `/bindings/${ghBinding.id}/rules`, { files: { direction: 'to_remote' } })).status).toBe(200);
  }, 240_000);
  afterAll(async () => {
    await gh?.close();
    await stack?.stop();
  });

  it('rejects a bad upload with 400 naming the field, and a bad files rule with 400', async () => {
    const story = await stack.post(`/projects/${rm.project.id}/stories`, { title: 'Uploads are validated' });
    const noName = await upload(story.id, null, new Uint8Array([1]));
    expect(noName.status).toBe(400);
    expect(((await noName.json()) as Json).error.fields[0].path).toBe('query.name');
    const slash = await upload(story.id, '../etc/passwd', new Uint8Array([1]));
    expect(slash.status).toBe(400);
    const empty = await upload(story.id, 'empty.txt', new Uint8Array());
    expect(((await empty.json()) as Json).error.fields[0].path).toBe('body');
    expect((await upload('00000000-0000-4000-8000-000000000000', 'x.txt', new Uint8Array([1]))).status).toBe(404);
    expect(await hubFiles(story.id)).toEqual([]);

    const rule = await stack.api.call('PUT', `/bindings/${rm.binding.id}/rules`, { files: { prefix: 'customer-', maxBytes: 0 } });
    expect(rule.status).toBe(400);
    expect(((await rule.json()) as Json).error.fields[0].path).toBe('files.maxBytes');
  });

  it('sends hub files with the prefix to Redmine through uploads.json, and keeps the others in the hub', async () => {
    const story = await stack.post(`/projects/${rm.project.id}/stories`, { title: 'Crash on export' });
    const issueId = Number(await linkOf(story.id, rm.binding.id));
    const trace = randomBytes(48 * 1024);
    expect((await upload(story.id, 'customer-trace.bin', trace, 'application/octet-stream')).status).toBe(201);
    expect((await upload(story.id, 'internal-notes.txt', Buffer.from('not for the customer'))).status).toBe(201);

    const there = await eventually(async () => {
      const files = await rmFiles(issueId);
      return files.some((f) => f.filename === 'customer-trace.bin') ? files : undefined;
    });
    expect(there.map((f) => f.filename)).toEqual(['customer-trace.bin']);
    expect(sha(await rmDownload(there[0]!))).toBe(sha(trace));

    // Two more pulls bring nothing back and send nothing twice (pulled once Redmine's updated_on can move again).
    await pastIssueUpdateSecond(redmine, issueId);
    for (let i = 0; i < 2; i++) await stack.pullNow(rm.binding.id);
    expect((await hubFiles(story.id)).map((f) => f.name).sort()).toEqual(['customer-trace.bin', 'internal-notes.txt']);
    expect(await rmFiles(issueId)).toHaveLength(1);
  });

  it('brings a file attached in Redmine into the hub, and passes it on to GitHub as a signed link that opens without a token', async () => {
    const issue = await createIssue(redmine, rm.binding.scope, { subject: 'Customer sends a screenshot' });
    const png = randomBytes(20 * 1024);
    const { body } = await redmineRequest<{ upload: { token: string } }>(redmine, 'POST', `/uploads.json?filename=screen.png`, undefined, {
      headers: { 'content-type': 'application/octet-stream' }, rawBody: png,
    });
    await redmineRequest(redmine, 'PUT', `/issues/${issue.id}.json`, { issue: { uploads: [{ token: body.upload.token, filename: 'screen.png', content_type: 'image/png' }] } });

    await stack.pullNow(rm.binding.id);
    const story = (await stack.get(`/projects/${rm.project.id}/stories`)).items.find((s: Json) => s.title === 'Customer sends a screenshot');
    const [file] = await hubFiles(story.id);
    expect(file).toMatchObject({ name: 'screen.png', contentType: 'image/png', size: png.length, sha256: sha(png), origin: rm.binding.id });
    const content = await stack.api.call('GET', `/attachments/${file!.id}/content`);
    expect(sha(new Uint8Array(await content.arrayBuffer()))).toBe(sha(png));

    // The GitHub binding gets the story, and the file as a link in a comment.
    const number = Number(await linkOf(story.id, ghBinding.id));
    const comment = await eventually(async () => gh.listComments(REPO, number).find((c) => c.body?.includes('screen.png')));
    const url = new URL(/\((http[^)]+)\)/.exec(comment.body!)![1]!);
    const opened = await stack.api.app.request(`${url.pathname}${url.search}`);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('image/png');
    expect(sha(new Uint8Array(await opened.arrayBuffer()))).toBe(sha(png));
    const forged = await stack.api.app.request(`${url.pathname}?sig=${'A'.repeat(43)}`);
    expect(forged.status).toBe(403);
    expect((await stack.api.app.request(url.pathname)).status).toBe(401);

    // The link comment is the file, not conversation: a GitHub pull imports no comment, and nothing goes back to Redmine.
    await stack.pullNow(ghBinding.id);
    expect((await stack.get(`/stories/${story.id}/comments`)).items).toEqual([]);
    await pastIssueUpdateSecond(redmine, issue.id);
    await stack.pullNow(rm.binding.id);
    expect(await hubFiles(story.id)).toHaveLength(1);
    expect(await rmFiles(issue.id)).toHaveLength(1);
    expect(gh.listComments(REPO, number)).toHaveLength(1);
  });
});
