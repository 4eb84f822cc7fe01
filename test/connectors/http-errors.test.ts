import { describe, expect, it } from 'vitest';
import type { RemoteError } from '../../connectors/errors';
import { classifyResponse, parseRetryAfter, redact } from '../../connectors/http';
import { DATE, NOW, TOKEN } from './scripted-http';

function classify(status: number, headers: Record<string, string> = {}, bodyText = ''): RemoteError {
  return classifyResponse({ status, headers: new Headers({ date: DATE, ...headers }), bodyText, label: 'Test GET /x' }, NOW, 60_000);
}

describe('classifyResponse', () => {
  const reset = String(NOW / 1000 + 90);
  it.each([
    // status, headers, body, kind, retryAfterMs
    [500, {}, '', 'transient', undefined],
    [502, {}, '', 'transient', undefined],
    [503, { 'retry-after': '5' }, '', 'transient', 5_000],
    [504, {}, '', 'transient', undefined],
    [408, {}, '', 'transient', undefined],
    [429, { 'retry-after': '7' }, '', 'transient', 7_000],
    [429, {}, '', 'transient', 60_000],
    [403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, '{"message":"API rate limit exceeded"}', 'transient', 90_000],
    [403, { 'retry-after': '60' }, '{"message":"You have exceeded a secondary rate limit."}', 'transient', 60_000],
    [403, {}, '{"message":"You have exceeded a secondary rate limit."}', 'transient', 60_000],
    [403, { 'retry-after': new Date(NOW + 30_000).toUTCString() }, '', 'transient', 30_000],
    [403, { 'x-ratelimit-remaining': '12' }, '{"message":"Resource not accessible by integration"}', 'auth', undefined],
    [401, {}, '{"message":"Bad credentials"}', 'auth', undefined],
    [404, {}, '', 'permanent', undefined],
    [410, {}, '', 'permanent', undefined],
    [400, {}, '', 'permanent', undefined],
    [422, {}, '', 'permanent', undefined],
    [409, {}, '', 'conflict', undefined],
    [412, {}, '', 'conflict', undefined],
  ] as const)('%i %j %s → %s', (status, headers, body, kind, retryAfterMs) => {
    const error = classify(status, headers, body);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.retryAfterMs).toBe(retryAfterMs);
  });
});

describe('parseRetryAfter', () => {
  const at = (headers: Record<string, string>, now = NOW) => parseRetryAfter(new Headers(headers), now);
  it('reads seconds, HTTP dates and reset epochs', () => {
    expect(at({ 'retry-after': '12' })).toBe(12_000);
    expect(at({ 'retry-after': '1.5' })).toBe(1_500);
    expect(at({ 'retry-after': new Date(NOW + 45_000).toUTCString() })).toBe(45_000);
    expect(at({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 120) })).toBe(120_000);
    expect(at({ 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': String(NOW / 1000 + 120) })).toBeUndefined();
    expect(at({})).toBeUndefined();
  });
  it('compares reset epochs with the remote Date header, not our clock', () => {
    const headers = { date: DATE, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 60) };
    expect(at(headers, NOW + 3_600_000)).toBe(60_000);
  });
  it('never returns a negative wait', () => {
    expect(at({ 'retry-after': new Date(NOW - 5_000).toUTCString() })).toBe(0);
  });
});

describe('redact', () => {
  it('scrubs secrets and credential query parameters', () => {
    expect(redact(`GET /x?key=abc123&page=2 token ${TOKEN}`, [TOKEN])).toBe('GET /x?key=***&page=2 token ***');
  });
});
