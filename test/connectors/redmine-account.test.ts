/**
 * A push to Redmine asks which account its API key belongs to, to tell its own journals from a
 * person's (history.ts). Each activity builds its own client, so asking once per client made that one
 * of every write's five requests; the account is remembered per key for ten minutes instead. A
 * connection test still asks Redmine, so a revoked key is never reported as working.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectDefinition } from '../../connectors/connect';
import { redmine } from '../../connectors/redmine';
import type { ConnectorClient } from '../../connectors/types';
import { type FaultProxy, startFaultProxy } from '../../testing';
import { type Redmine, createIssue, createProject, ensureRedmine } from '../support/redmine';

let r: Redmine;
let proxy: FaultProxy;
let project: string;

beforeAll(async () => {
  r = await ensureRedmine();
  project = (await createProject(r)).identifier;
  proxy = await startFaultProxy(r.url);
}, 120_000);
afterAll(async () => {
  await proxy?.close();
});

/** A new client, as each activity builds one. */
const connect = (apiKey = r.apiKey): ConnectorClient => connectDefinition(redmine, {
  config: redmine.configSchema.parse({ baseUrl: proxy.url }),
  secrets: redmine.secretsSchema.parse({ apiKey }),
  logger: pino({ level: 'silent' }),
});

const accountRequests = (mark: number) => proxy.since(mark).filter((req) => new URL(req.url, 'http://proxy').pathname === '/users/current.json').length;

describe('Redmine account behind the API key (real Redmine)', { timeout: 120_000 }, () => {
  it('asks it once for three pushes by three clients, and afresh for every connection test', async () => {
    const issue = await createIssue(r, project, { subject: 'Account check' });
    const remoteId = String(issue.id);
    const mark = proxy.mark();
    for (const title of ['First push', 'Second push', 'Third push']) {
      const client = connect();
      const read = await client.getItem(project, remoteId);
      await client.writer!.updateItem(project, remoteId, { title });
      // What the push does after its write: the journals since its read, its own left out.
      expect(await client.writer!.editsSince(project, remoteId, read!, { title })).toEqual({});
    }
    expect(accountRequests(mark)).toBe(1);

    const tests = proxy.mark();
    expect(await connect().testConnection()).toMatchObject({ ok: true });
    expect(await connect().testConnection()).toMatchObject({ ok: true });
    expect(accountRequests(tests)).toBe(2);
    // A key Redmine refuses fails its test even though another key's account is remembered.
    expect(await connect('0000000000000000000000000000000000000000').testConnection()).toMatchObject({ ok: false });
  });
});
