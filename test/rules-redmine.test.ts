import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/harness';
import { addNote, createCustomField, createIssue, createProject, editIssue, ensureRedmine, getIssue, listStatuses, pastIssueUpdateSecond, type Redmine } from './support/redmine';
import { startStack, type Stack } from './support/scenario';
import { pushSettled } from './support/settle';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One test per rule kind, end to end against real Redmine (custom fields, journals), real Temporal and Postgres. */
describe('attribute rules (real Redmine)', { timeout: 240_000 }, () => {
  let stack: Stack;
  let redmine: Redmine;
  let bound: Awaited<ReturnType<Stack['bind']>>;
  let issueId: number;
  let storyId: string;
  const suffix = Math.random().toString(36).slice(2, 7);
  const ticketField = `Supplier ticket ${suffix}`;
  const analysisField = `Analysis ${suffix}`;
  let analysisId: number;

  const story = () => stack.get(`/stories/${storyId}`);
  const comments = async () => (await stack.get(`/stories/${storyId}/comments`)).items as Json[];
  const patch = async (body: Json) => {
    const current = await story();
    const res = await stack.api.call('PATCH', `/stories/${storyId}`, { version: current.version, ...body });
    expect(res.status).toBe(200);
  };
  const custom = async (name: string) => (await getIssue(redmine, issueId)).custom_fields?.find((f) => f.name === name)?.value ?? null;

  beforeAll(async () => {
    redmine = await ensureRedmine();
    const project = (await createProject(redmine)).identifier;
    await createCustomField(redmine, { name: ticketField, format: 'string', project });
    analysisId = (await createCustomField(redmine, { name: analysisField, format: 'text', project })).id;
    stack = await startStack();
    bound = await stack.bind('redmine', { baseUrl: redmine.url }, { apiKey: redmine.apiKey }, project);
    const statuses = await listStatuses(redmine);
    issueId = (await createIssue(redmine, project, { subject: 'Brakes squeal', description: 'At low speed' })).id;
    await editIssue(redmine, issueId, { status_id: statuses.find((s) => s.name === 'In Progress')!.id });
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('rejects an invalid rule set with 400 naming the field, and documents RuleSet in OpenAPI', async () => {
    const res = await stack.api.call('PUT', `/bindings/${bound.binding.id}/rules`, { fields: [{ hub: 'title', remote: '/subject', kind: 'two_way' }] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error.fields[0].path).toBe('fields.0.remote');
    const spec = (await (await stack.api.call('GET', '/openapi.json')).json()) as Json;
    const ruleSet = spec.components.schemas.RuleSet;
    expect(ruleSet.examples[0].fields.length).toBeGreaterThan(0);
    // Field by field, generated from the schema that validates: every section and every rule kind and policy.
    expect(Object.keys(ruleSet.properties).sort()).toEqual(['default_message', 'fields', 'files', 'message_from_field', 'messages', 'options', 'users']);
    expect(ruleSet.properties.fields.items.properties.kind.enum).toEqual(['one_way', 'default', 'to_remote', 'two_way']);
    expect(ruleSet.properties.fields.items.properties.policy.enum).toEqual(['remote_wins', 'hub_wins', 'newest_wins']);
    expect(ruleSet.properties.messages.properties.direction.enum).toContain('to_remote');
    expect(ruleSet.properties.files.properties.prefix.description).toMatch(/prefix|start/i);
    expect(spec.paths['/bindings/{id}/rules'].put.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/RuleSet');
    expect(spec.paths['/bindings/{id}/rules/preview']).toBeDefined();
    // Options belong to the connector: Redmine declares none, so any is refused, naming the section.
    const options = await stack.api.call('PUT', `/bindings/${bound.binding.id}/rules`, { options: { labelSpaces: 'dash' } });
    expect(options.status).toBe(400);
    expect(((await options.json()) as Json).error.fields).toEqual([{ path: 'options', message: 'the redmine connector takes no binding options' }]);
    const defaults = await stack.get(`/bindings/${bound.binding.id}/rules`);
    expect(defaults.rules).toBeNull();
    expect(defaults.effective.fields.map((f: Json) => f.hub)).toEqual(['title', 'description', 'status', 'priority', 'assignee', 'customFields']);
  });

  it('imports with one_way, default, a status map, message_from_field and default_message', async () => {
    const stored = await stack.api.call('PUT', `/bindings/${bound.binding.id}/rules`, {
      fields: [
        { hub: 'title', remote: 'title', kind: 'one_way' },
        { hub: 'description', remote: 'description', kind: 'two_way', policy: 'hub_wins' },
        { hub: 'status', remote: 'status', kind: 'two_way', map: [{ hub: 'in_progress', remote: 'In Progress' }, { hub: 'new', remote: 'New' }], fallback: { hub: 'triage' } },
        { hub: 'priority', remote: 'priority.name', kind: 'default', default: 'Normal' },
        { hub: 'key', remote: `customFields.${ticketField}`, kind: 'to_remote' },
      ],
      messages: { tag: '#customer', stripTag: true },
      message_from_field: [{ remote: `customFields.${analysisField}`, headline: 'Analysis:' }],
      default_message: { body: 'Imported from the customer Redmine.' },
    });
    expect(stored.status).toBe(200);
    const { run } = await stack.initialSync(bound.binding.id);
    expect(run.counts).toMatchObject({ created: 1, failed: 0 });
    const items = (await stack.get(`/projects/${bound.project.id}/stories`)).items as Json[];
    storyId = items[0]!.id;
    expect(items[0]).toMatchObject({ title: 'Brakes squeal', description: 'At low speed', status: 'in_progress', priority: 'Normal' });
    expect((await comments()).map((c) => c.body)).toEqual(['Imported from the customer Redmine.']);

    await editIssue(redmine, issueId, { custom_fields: [{ id: analysisId, value: 'Pad glazing' }] });
    await stack.pullNow(bound.binding.id);
    expect((await comments()).map((c) => c.body)).toContain('Analysis:\n\nPad glazing');
  });

  it('one_way: a hub title edit is not pushed, a Redmine subject edit is pulled; to_remote writes the story key into a custom field', async () => {
    await patch({ title: 'Renamed in the hub' });
    await eventually(async () => (await custom(ticketField)) !== null && (await custom(ticketField)) !== '', 30_000);
    expect(await custom(ticketField)).toMatch(new RegExp(`^${bound.project.key}-`));
    expect((await getIssue(redmine, issueId)).subject).toBe('Brakes squeal');
    await editIssue(redmine, issueId, { subject: 'Brakes squeal loudly' });
    await stack.pullNow(bound.binding.id);
    expect((await story()).title).toBe('Brakes squeal loudly');
  });

  it('two_way hub_wins: a description changed on both sides keeps the hub value', async () => {
    await editIssue(redmine, issueId, { description: 'Changed by the customer' });
    await patch({ description: 'Changed by us' });
    await eventually(async () => (await getIssue(redmine, issueId)).description === 'Changed by us', 30_000);
    await stack.pullNow(bound.binding.id);
    expect((await story()).description).toBe('Changed by us');
  });

  it('messages: journals come in; only tagged hub comments go out, tag stripped', async () => {
    // Redmine's updated_on has whole seconds: a note in the same second as the last sync would not move it (a known limit).
    await pastIssueUpdateSecond(redmine, issueId);
    await addNote(redmine, issueId, 'Customer note');
    await stack.pullNow(bound.binding.id);
    expect((await comments()).map((c) => c.body)).toContain('Customer note');
    await stack.post(`/stories/${storyId}/comments`, { body: 'Internal only' });
    await stack.post(`/stories/${storyId}/comments`, { body: 'Fix ships Friday #customer' });
    const notes = await eventually(async () => {
      const journals = (await getIssue(redmine, issueId, { include: 'journals' })).journals ?? [];
      const bodies = journals.map((j) => j.notes ?? '').filter(Boolean);
      return bodies.includes('Fix ships Friday') ? bodies : undefined;
    }, 30_000);
    expect(notes).not.toContain('Internal only');

    // An edit of the tagged comment reaches the same journal, tag stripped; no new journal is added.
    const tagged = (await comments()).find((c) => c.body === 'Fix ships Friday #customer')!;
    const journalsBefore = (await getIssue(redmine, issueId, { include: 'journals' })).journals?.length ?? 0;
    expect((await stack.api.call('PATCH', `/stories/${storyId}/comments/${tagged.id}`, { body: 'Fix ships Monday #customer' })).status).toBe(200);
    const edited = await eventually(async () => {
      const journals = (await getIssue(redmine, issueId, { include: 'journals' })).journals ?? [];
      return journals.some((j) => j.notes === 'Fix ships Monday') ? journals : undefined;
    }, 30_000);
    expect(edited.map((j) => j.notes)).not.toContain('Fix ships Friday');
    expect(edited).toHaveLength(journalsBefore);
  });

  it('reports an unmapped status in the binding status instead of dropping it; preview shows a dry run', async () => {
    // The comment edits above can leave this story's push pending (in its burst window) or running. A push
    // reads the rules when it starts and the issue a moment later: one that started before the PUT below and
    // read the issue after the status edit took the unmapped status into the hub by the old rules' fallback
    // ('triage'). So nothing of this story is on its way when the rules change.
    await pushSettled(stack, bound.binding.id, storyId);
    const noFallback = { fields: [{ hub: 'status', remote: 'status', kind: 'two_way', map: [{ hub: 'in_progress', remote: 'In Progress' }] }] };
    expect((await stack.api.call('PUT', `/bindings/${bound.binding.id}/rules`, noFallback)).status).toBe(200);
    const statuses = await listStatuses(redmine);
    await editIssue(redmine, issueId, { status_id: statuses.find((s) => !['New', 'In Progress'].includes(s.name))!.id });
    const unmapped = (await getIssue(redmine, issueId)).status.name;
    expect(unmapped).not.toMatch(/^(New|In Progress)$/);
    await stack.pullNow(bound.binding.id);
    const warning = `status: no hub value for ${JSON.stringify(unmapped)}`;
    expect((await story()).status).toBe('in_progress'); // not written, and not silently replaced
    expect((await stack.get(`/bindings/${bound.binding.id}`)).warnings).toContain(warning);

    const before = await story();
    // The preview works on the remote as last synced (the API never calls a remote), so it shows what other rules would map.
    const preview = await stack.post(`/bindings/${bound.binding.id}/rules/preview`, {
      storyId, rules: { fields: [{ hub: 'status', remote: 'status', kind: 'two_way', map: [{ hub: 'wip', remote: 'In Progress' }] }, { hub: 'key', remote: 'title', kind: 'to_remote' }] },
    });
    expect(preview.pull.hub).toMatchObject({ status: 'wip' });
    expect(preview.push.remote).toEqual({ title: `${bound.project.key}-${storyId.slice(0, 8)}` });
    expect(preview.creates).toBe(false);
    expect((await story()).version).toBe(before.version);
  });

  it('previews a story the remote does not have yet as the item a push would create, mapped by the rules', async () => {
    // Paused, as the console's wizard keeps a new binding: the story stays unlinked while it is previewed.
    await stack.post(`/bindings/${bound.binding.id}/pause`);
    try {
      const fresh = await stack.post(`/projects/${bound.project.id}/stories`, { title: 'Not on Redmine yet', status: 'wip' });
      const preview = await stack.post(`/bindings/${bound.binding.id}/rules/preview`, {
        storyId: fresh.id, rules: { fields: [{ hub: 'status', remote: 'status', kind: 'two_way', map: [{ hub: 'wip', remote: 'In Progress' }] }, { hub: 'title', remote: 'title', kind: 'two_way' }] },
      });
      expect(preview).toMatchObject({ remote: null, creates: true, push: { remote: { title: 'Not on Redmine yet', status: 'In Progress' } } });
      const { links } = await stack.get(`/stories/${fresh.id}`);
      expect((links ?? []).filter((l: { remoteId: string | null }) => l.remoteId !== null)).toEqual([]);
    } finally {
      await stack.post(`/bindings/${bound.binding.id}/resume`);
    }
  });
});
