import { describe, expect, it } from 'vitest';
import { allConnectors, connectors, getConnector } from '../../connectors/registry';

describe('connector registry', () => {
  it('finds connectors by slug', () => {
    expect(getConnector('github').name).toBe('GitHub Issues');
    expect(getConnector('redmine').slug).toBe('redmine');
    expect(Object.keys(connectors)).toEqual(allConnectors.map((c) => c.slug));
  });

  it('rejects an unknown slug, including inherited property names', () => {
    expect(() => getConnector('jira')).toThrow(/unknown connector "jira"/);
    expect(() => getConnector('constructor')).toThrow(/unknown connector/);
  });

  it('has valid slugs and config schemas that parse their defaults', () => {
    for (const connector of allConnectors) expect(connector.slug).toMatch(/^[a-z0-9-]{1,25}$/);
    expect(getConnector('github').configSchema.parse({})).toMatchObject({ baseUrl: 'https://api.github.com', overlapSeconds: 5 });
    expect(() => getConnector('redmine').configSchema.parse({})).toThrow();
    expect(() => getConnector('github').secretsSchema.parse({ token: 'x', extra: 1 })).toThrow();
  });
});
