import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-trackbridge-signature-256';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so a replay cannot refresh it. */
export function signPayload(secret: string, body: string, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a signature header against the raw body, in constant time, refusing one older (or further in
 * the future) than `toleranceSeconds`. What a receiver of trackbridge's webhooks runs; see README, Events.
 */
export function verifySignature(secret: string, header: string | null | undefined, body: string, opts: { toleranceSeconds?: number; now?: number } = {}): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, reason: 'mismatch' };
  const skew = Math.abs((opts.now ?? Date.now()) / 1000 - t);
  if (skew > (opts.toleranceSeconds ?? 300)) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp: t };
}
