import type { SecretBox } from './crypto';

/**
 * A link to a hub file that carries its own permission (an HMAC of the file id and an expiry), for
 * remotes that cannot take uploads: whoever can read the remote issue can open the file, only
 * that file, and only until the link expires. A link is signed afresh each time it is pushed.
 * Rotating TRACKBRIDGE_SECRET_KEY invalidates every link at once; a deleted file's link finds nothing.
 */
const subject = (attachmentId: string, expires: number) => `attachment:${attachmentId}:${expires}`;

/** A week, as FILE_LINK_TTL_SECONDS defaults. */
export const DEFAULT_FILE_LINK_TTL_SECONDS = 7 * 24 * 3600;

export function signedFileUrl(
  publicUrl: string,
  box: SecretBox,
  attachmentId: string,
  opts: { ttlSeconds?: number | undefined; now?: Date | undefined } = {},
): string {
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const expires = now + (opts.ttlSeconds ?? DEFAULT_FILE_LINK_TTL_SECONDS);
  return `${publicUrl.replace(/\/+$/, '')}/attachments/${attachmentId}/content?exp=${expires}&sig=${box.sign(subject(attachmentId, expires))}`;
}

/** Whether `sig` signs this file with this expiry, and the expiry (unix seconds) is still ahead. */
export function verifyFileSignature(box: SecretBox, attachmentId: string, link: { sig: string; exp: string | undefined }, now = new Date()): boolean {
  if (!link.exp || !/^\d{1,12}$/.test(link.exp)) return false;
  const expires = Number(link.exp);
  return expires * 1000 > now.getTime() && box.verify(subject(attachmentId, expires), link.sig);
}
