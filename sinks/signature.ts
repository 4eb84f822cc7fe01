import { pokeSignature, verifyPokeSignature } from '../lib/webhook-signature';

export const SIGNATURE_HEADER = 'x-trackbridge-signature-256';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the timestamp is signed too, so a replay cannot
 * refresh it. The same scheme as a poke's (lib/webhook-signature.ts), so one receiver check fits both.
 */
export const signPayload = (secret: string, body: string, now = Date.now()): string => pokeSignature(secret, Math.floor(now / 1000), body);

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a signature header against the raw body, in constant time, refusing one older (or further in
 * the future) than `toleranceSeconds`. What a receiver of trackbridge's webhooks runs; see docs/events.md.
 */
export function verifySignature(secret: string, header: string | null | undefined, body: string, opts: { toleranceSeconds?: number; now?: number } = {}): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(parts.get('v1') ?? '')) return { ok: false, reason: 'malformed' };
  const verdict = verifyPokeSignature(secret, body, header, (opts.now ?? Date.now()) / 1000, opts.toleranceSeconds);
  if (verdict === 'ok') return { ok: true, timestamp: t };
  return { ok: false, reason: verdict === 'stale' ? 'stale' : 'mismatch' };
}
