import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, hashToken, newToken } from '../lib/crypto';

describe('secret box (AES-256-GCM)', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never contains the plain text', () => {
    const sealed = box.seal({ token: 'ghp_supersecret' });
    expect(sealed).not.toContain('supersecret');
    expect(box.open(sealed)).toEqual({ token: 'ghp_supersecret' });
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal({ a: 1 })).not.toBe(box.seal({ a: 1 }));
  });

  it('rejects tampering and the wrong key', () => {
    const sealed = box.seal({ token: 'x' });
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], ct.toString('base64url')].join('.'))).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('hashes tokens deterministically without keeping them', () => {
    const token = newToken();
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toContain(token.slice(3));
  });
});
