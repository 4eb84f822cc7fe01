import { createHmac } from 'node:crypto';
import { sameText } from './crypto';

/** How old a signed poke may be: older ones are refused, so a captured request cannot be replayed later. */
export const POKE_TOLERANCE_SECONDS = 300;

const hmacHex = (secret: string, text: string | Uint8Array) => createHmac('sha256', secret).update(text).digest('hex');

/** A bare or `sha256=`-prefixed hex HMAC-SHA256 of the raw body (GitHub, Jira, Linear and most others). */
export function verifyHmacHeader(secret: string, body: string | Uint8Array, header: string | undefined): boolean {
  if (!header) return false;
  const given = header.trim().toLowerCase();
  return sameText(hmacHex(secret, body), given.startsWith('sha256=') ? given.slice('sha256='.length) : given);
}

/** A shared-token header (GitLab's `X-Gitlab-Token`): the secret itself, compared in constant time. */
export const verifyToken = (secret: string, header: string | undefined): boolean => header !== undefined && sameText(secret, header);

/** `X-Trackbridge-Signature-256` of a poke: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const pokeSignature = (secret: string, unixSeconds: number, body: string) =>
  `t=${unixSeconds},v1=${hmacHex(secret, `${unixSeconds}.${body}`)}`;

export type PokeVerdict = 'ok' | 'bad' | 'stale';

/**
 * Checks a poke's signature: the HMAC first (so an unsigned request learns nothing about the clock),
 * then the age of its timestamp, within POKE_TOLERANCE_SECONDS either way.
 */
export function verifyPokeSignature(secret: string, body: string, header: string | undefined, nowSeconds: number, toleranceSeconds = POKE_TOLERANCE_SECONDS): PokeVerdict {
  const parts = new Map((header ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]));
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (!t || !/^\d{1,12}$/.test(t) || !v1) return 'bad';
  if (!sameText(hmacHex(secret, `${t}.${body}`), v1.toLowerCase())) return 'bad';
  return Math.abs(nowSeconds - Number(t)) > toleranceSeconds ? 'stale' : 'ok';
}
