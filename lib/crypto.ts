import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';

/** AES-256-GCM sealing of connection secrets. The output is `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export interface SecretBox {
  seal(plain: unknown): string;
  open<T = unknown>(sealed: string): T;
  /** HMAC-SHA256 of `text` under a key derived from the secret key: for links that carry their own permission. */
  sign(text: string): string;
  verify(text: string, signature: string): boolean;
  /** A 32-byte key for one purpose (HKDF-SHA256 of the secret key): one purpose's key reveals nothing of the others. */
  derive(purpose: string): Buffer;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('secret key must be 32 bytes');
  const signingKey = createHash('sha256').update('trackbridge:signed-links').update(key).digest();
  const sign = (text: string) => createHmac('sha256', signingKey).update(text).digest('base64url');
  return {
    sign,
    derive: (purpose) => Buffer.from(hkdfSync('sha256', key, 'trackbridge', purpose, 32)),
    verify: (text, signature) => sameText(sign(text), signature),
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open<T>(sealed: string): T {
      const [version, iv, tag, ct] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('unrecognised secret format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    },
  };
}

/** Compares two strings in constant time (for their common length; a length mismatch is no secret). */
export function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** API tokens are high-entropy, so a plain SHA-256 is the right hash: fast lookups, nothing to brute-force. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(): string {
  return `tb_${randomBytes(32).toString('base64url')}`;
}

export function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Why a 32-byte key looks chosen by hand rather than drawn at random, or null. A random key has
 * about 30 distinct bytes and ~4.8 bits of entropy per byte; these bounds are missed by one in
 * more than 10^12 random keys, and caught by 43 × 'a', zeros, repeated patterns and typed text.
 */
export function keyWeakness(key: Buffer): string | null {
  const counts = new Map<number, number>();
  for (const byte of key) counts.set(byte, (counts.get(byte) ?? 0) + 1);
  let entropy = 0;
  for (const n of counts.values()) entropy -= (n / key.length) * Math.log2(n / key.length);
  if (counts.size < 16 || entropy < 3.5) return 'too little entropy (repeated or patterned bytes): use a random key';
  if (key.every((b) => b >= 0x20 && b < 0x7f)) return 'looks like typed text, not random bytes: use a random key';
  return null;
}
