import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config';

const production = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'production', ...env });
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
};

describe('production secret key', () => {
  it.each([
    ['43 × "a" (base64)', 'a'.repeat(43) + '='],
    ['64 zero hex digits', '0'.repeat(64)],
    ['a repeated hex pattern', '0123456789abcdef'.repeat(4)],
    ['a repeated byte pair', Buffer.alloc(32, 'ab').toString('base64')],
    ['typed text', Buffer.from('correct horse battery staple 42!').toString('base64')],
  ])('refuses %s, naming TRACKBRIDGE_SECRET_KEY', (_label, key) => {
    const issues = issuesOf(() => production({ TRACKBRIDGE_SECRET_KEY: key }));
    expect(issues.map((i) => i.variable)).toEqual(['TRACKBRIDGE_SECRET_KEY']);
    expect(issues[0]?.message).toMatch(/random key/);
  });

  it('accepts random keys, in base64 and hex', () => {
    for (let i = 0; i < 200; i++) {
      const key = randomBytes(32);
      expect(() => production({ TRACKBRIDGE_SECRET_KEY: key.toString(i % 2 ? 'hex' : 'base64') })).not.toThrow();
    }
  });

  it('still lets development run with a weak key', () => {
    expect(() => loadConfig({ TRACKBRIDGE_SECRET_KEY: '0'.repeat(64) })).not.toThrow();
  });
});

describe('TRACKBRIDGE_ALLOWED_HOSTS', () => {
  it('parses hosts, addresses and CIDR ranges', () => {
    const config = loadConfig({ TRACKBRIDGE_ALLOWED_HOSTS: ' Redmine.Internal , 10.0.0.0/8,192.168.1.5, fd12::/16, [::1] ' });
    expect(config.TRACKBRIDGE_ALLOWED_HOSTS).toEqual([
      { kind: 'host', host: 'redmine.internal' },
      { kind: 'cidr', address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { kind: 'cidr', address: '192.168.1.5', prefix: 32, family: 'ipv4' },
      { kind: 'cidr', address: 'fd12::', prefix: 16, family: 'ipv6' },
      { kind: 'cidr', address: '::1', prefix: 128, family: 'ipv6' },
    ]);
  });

  it.each(['10.0.0.0/33', 'http://redmine.internal', 'redmine internal', 'host/8', '::1/129'])('names the variable for "%s"', (value) => {
    const issues = issuesOf(() => loadConfig({ TRACKBRIDGE_ALLOWED_HOSTS: value }));
    expect(issues.map((i) => i.variable)).toEqual(['TRACKBRIDGE_ALLOWED_HOSTS']);
    expect(issues[0]?.message).toContain(value.toLowerCase());
  });
});
