import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connections } from '../db/schema';
import { testSecretBox } from './support/harness';
import { createIssue, createProject, ensureRedmine, redmineRequest, type Redmine, type RmProject } from './support/redmine';
import { startStack, type Stack } from './support/scenario';

/** A Redmine user who is a member of `project`, with the API key Redmine made for them. */
async function member(r: Redmine, project: RmProject): Promise<{ id: number; apiKey: string }> {
  const login = `rot${randomBytes(4).toString('hex')}`;
  const { body } = await redmineRequest<{ user: { id: number; api_key: string } }>(r, 'POST', '/users.json', {
    user: { login, firstname: 'Rot', lastname: login, mail: `${login}@example.test`, password: `pw-${randomBytes(8).toString('hex')}` },
  });
  const { body: roles } = await redmineRequest<{ roles: Array<{ id: number; name: string }> }>(r, 'GET', '/roles.json');
  const role = roles.roles.find((x) => x.name === 'Developer') ?? roles.roles[0]!;
  await redmineRequest(r, 'POST', `/projects/${project.identifier}/memberships.json`, { membership: { user_id: body.user.id, role_ids: [role.id] } });
  return { id: body.user.id, apiKey: body.user.api_key };
}

/** Whether Redmine accepts the key (GET /users/current.json). */
async function keyWorks(r: Redmine, apiKey: string): Promise<boolean> {
  const res = await fetch(`${r.url}/users/current.json`, { headers: { 'X-Redmine-API-Key': apiKey } });
  await res.arrayBuffer();
  return res.status === 200;
}

describe('PATCH /connections/{id} rotates a Redmine key (real Redmine)', () => {
  let stack: Stack;
  let r: Redmine;

  beforeAll(async () => {
    r = await ensureRedmine();
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a key Redmine rejects, then rotates to another user\'s key, and the next pull authenticates with it', async () => {
    const project = await createProject(r, { identifier: `tb-rotate-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}` });
    // A private project: only members see its issues, so a pull that lists them speaks as a member.
    await redmineRequest(r, 'PUT', `/projects/${project.identifier}.json`, { project: { is_public: false } });
    const [alice, bob] = [await member(r, project), await member(r, project)];
    await createIssue(r, project.identifier, { subject: 'Before the rotation' });
    const bound = await stack.bind('redmine', { baseUrl: r.url }, { apiKey: alice.apiKey }, project.identifier);
    expect((await stack.initialSync(bound.binding.id)).run).toMatchObject({ status: 'completed', counts: { created: 1 } });
    const id: string = bound.connection.id;
    const sealed = async () => (await stack.database.db.select().from(connections).where(eq(connections.id, id)))[0]!.secretsSealed;

    // A key Redmine does not know: the test fails, nothing is saved, and the old key keeps pulling.
    const before = await sealed();
    const bogus = randomBytes(20).toString('hex');
    const refused = await stack.api.call('PATCH', `/connections/${id}`, { secrets: { apiKey: bogus } });
    const refusedText = await refused.text();
    expect(refused.status).toBe(400);
    expect(JSON.parse(refusedText)).toMatchObject({ error: { code: 'connection_test_failed', fields: [{ path: 'secrets' }] } });
    expect(refusedText).not.toContain(bogus);
    expect(await sealed()).toBe(before);
    await createIssue(r, project.identifier, { subject: 'Still pulled with the old key' });
    expect(await stack.pullNow(bound.binding.id)).toMatchObject({ status: 'completed', counts: { created: 1, failed: 0 } });

    // Rotate to Bob's key, then lock Alice: her key no longer authenticates, so only Bob's can pull.
    const rotated = await stack.api.call('PATCH', `/connections/${id}`, { secrets: { apiKey: bob.apiKey } });
    const rotatedText = await rotated.text();
    expect(rotated.status).toBe(200);
    expect(rotatedText).not.toContain(bob.apiKey);
    expect(testSecretBox.open(await sealed())).toEqual({ apiKey: bob.apiKey });
    await redmineRequest(r, 'PUT', `/users/${alice.id}.json`, { user: { status: 3 } });
    expect(await keyWorks(r, alice.apiKey)).toBe(false);
    expect(await keyWorks(r, bob.apiKey)).toBe(true);

    const issue = await createIssue(r, project.identifier, { subject: 'Pulled with the new key' });
    const run = await stack.pullNow(bound.binding.id);
    expect(run).toMatchObject({ status: 'completed', counts: { created: 1, failed: 0 } });
    const status = await stack.get(`/bindings/${bound.binding.id}`);
    expect(status.state).toBe('active');
    const found = await stack.get(`/projects/${bound.project.id}/stories`);
    expect(JSON.stringify(found)).toContain(issue.subject);
  });
});
