import type { SecretBox } from './crypto';

/**
 * A link to a hub file that carries its own permission (an HMAC of the file id), for remotes that
 * cannot take uploads: whoever can read the remote issue can open the file, and only that file.
 */
const subject = (attachmentId: string) => `attachment:${attachmentId}`;

export const signedFileUrl = (publicUrl: string, box: SecretBox, attachmentId: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/attachments/${attachmentId}/content?sig=${box.sign(subject(attachmentId))}`;

export const verifyFileSignature = (box: SecretBox, attachmentId: string, signature: string): boolean => box.verify(subject(attachmentId), signature);
