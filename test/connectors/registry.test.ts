import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { z } from 'zod';
import { installedConnectors, getConnector } from '../../plugins/registry';
import { connect } from '../../connectors/connect';
import { capabilitiesOf, capability, defineConnector, httpConfigFields, secretHeaders } from '../../connectors/define';
import { isPermanentError } from '../../connectors/errors';
import { defaultFieldRules } from '../../rules';

describe('connector registry', () => {
  it('finds connectors by slug', () => {
    expect(getConnector('github').name).toBe('GitHub Issues');
    expect(getConnector('redmine').slug).toBe('redmine');
    expect(installedConnectors().map((c) => c.slug)).toEqual(['github', 'redmine', 'jira']);
  });

  it('rejects an unknown slug, including inherited property names', () => {
    expect(() => getConnector('youtrack')).toThrow(/unknown connector "youtrack"/);
    expect(() => getConnector('constructor')).toThrow(/unknown connector/);
  });

  it('has valid slugs and config schemas that parse their defaults', () => {
    for (const connector of installedConnectors()) expect(connector.slug).toMatch(/^[a-z0-9-]{1,25}$/);
    expect(getConnector('github').configSchema.parse({})).toMatchObject({ baseUrl: 'https://api.github.com', overlapSeconds: 5 });
    expect(() => getConnector('redmine').configSchema.parse({})).toThrow();
    expect(() => getConnector('github').secretsSchema.parse({ token: 'x', extra: 1 })).toThrow();
  });
});

describe('a connector is one declaration', () => {
  // A read-only connector: reader only, no writer, comments or attachments.
  const readOnly = defineConnector({
    slug: 'read-only', name: 'Read only', description: 'test', logoUrl: 'https://example.com/x.svg',
    configSchema: z.strictObject({ baseUrl: z.url(), ...httpConfigFields }),
    secretsSchema: z.strictObject({ key: z.string() }),
    fields: ['title', 'status'],
    conditionalRequests: false,
    http: { service: 'ReadOnly', auth: { header: 'X-Api-Key', value: (s) => s.key } },
    session: (ctx) => ctx.http,
    reader: () => ({
      testConnection: async () => ({ ok: true, message: 'ok' }),
      listScopes: async () => [],
      async *pull() { /* nothing */ },
      getItem: async () => null,
      listComments: async () => [],
    }),
  });

  it('shows capabilities derived from what each connector implements', () => {
    expect(capabilitiesOf(getConnector('github'))).toMatchObject({ write: true, comments: true, commentEdits: true, deleteItems: true, attachments: true, customFields: false });
    expect(capabilitiesOf(getConnector('redmine'))).toMatchObject({ write: true, attachments: true, customFields: true });
    expect(capabilitiesOf(readOnly)).toEqual({
      pull: true, write: false, comments: false, commentEdits: false, deleteItems: false, attachments: false, conditionalRequests: false, customFields: false, fields: ['title', 'status'],
    });
  });

  it('connects only the capabilities it implements; asking for a missing one is a permanent error naming it', () => {
    const client = connect(readOnly, { config: { baseUrl: 'https://tracker.example.com' }, secrets: { key: 'k' }, logger: pino({ level: 'silent' }) });
    expect(client.writer).toBeUndefined();
    const error = (() => { try { capability(client, 'writer', 'Read only'); } catch (e) { return e; } })();
    expect(isPermanentError(error)).toBe(true);
    expect(String(error)).toContain('Read only cannot write items');
  });

  it("derives the default field rules and the log redaction from the definition's declarations", () => {
    expect(defaultFieldRules('github').map((r) => r.hub)).toEqual(['title', 'description', 'status', 'labels', 'assignee']);
    expect(defaultFieldRules('redmine').map((r) => r.hub)).toContain('customFields');
    expect(secretHeaders([...installedConnectors(), readOnly])).toEqual(['authorization', 'x-redmine-api-key', 'x-api-key']);
  });
});
