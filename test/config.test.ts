import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../lib/config';

describe('config', () => {
  it('applies defaults and starts a managed dev server when TEMPORAL_ADDRESS is unset', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.temporalManaged).toBe(true);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('names a bad value', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrowError(/PORT/);
  });

  it('lists every bad variable in one error', () => {
    try {
      loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', TEMPORAL_ADDRESS: 'no-port', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const vars = (err as ConfigError).issues.map((i) => i.variable).sort();
      expect(vars).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'TEMPORAL_ADDRESS']);
    }
  });

  it('requires a secret key in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/TRACKBRIDGE_SECRET_KEY/);
    expect(() => loadConfig({ TRACKBRIDGE_SECRET_KEY: 'short' })).toThrowError(/TRACKBRIDGE_SECRET_KEY/);
  });

  it('connects to a given cluster instead of starting one', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', TEMPORAL_API_KEY: 'k' });
    expect(config.temporalManaged).toBe(false);
  });

  it('reads TRUSTED_PROXIES as addresses and CIDRs, and refuses a host name there', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.5, 172.18.0.0/16,::1' }).TRUSTED_PROXIES).toEqual([
      { kind: 'cidr', address: '10.0.0.5', prefix: 32, family: 'ipv4' },
      { kind: 'cidr', address: '172.18.0.0', prefix: 16, family: 'ipv4' },
      { kind: 'cidr', address: '::1', prefix: 128, family: 'ipv6' },
    ]);
    expect(() => loadConfig({ TRUSTED_PROXIES: 'proxy.internal' })).toThrowError(/TRUSTED_PROXIES/);
    expect(loadConfig({}).AUTH_FAILURES_PER_MINUTE).toBe(20);
  });
});
