import type { ItemFields, Json } from '../connectors/types';
import type { EffectiveRules } from './schema';
import { jsonToValue, readFields, readPath, sameValue } from './values';
import { isConnectorField } from './schema';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether remote comments flow into the hub on this binding. */
export const pullsComments = (rules: EffectiveRules): boolean => rules.messages.direction === 'both' || rules.messages.direction === 'to_hub';

/**
 * The body a hub comment is sent with, or null when the message rule keeps it in the hub, or when
 * nothing but blanks is left to send (a comment that was only the tag): remotes refuse an empty body.
 */
export function outgoingBody(rules: EffectiveRules, body: string): string | null {
  const { direction, tag, stripTag } = rules.messages;
  if (direction === 'none' || direction === 'to_hub') return null;
  if (tag !== undefined && !body.includes(tag)) return null;
  const sent = tag !== undefined && stripTag ? body.replace(new RegExp(`\\s*${escape(tag)}\\s*`, 'g'), ' ').trim() : body;
  return sent.trim() === '' ? null : sent;
}

const readMessageSource = (ref: string, fields: ItemFields | undefined, raw: Json | undefined, paths: Record<string, Json> | undefined) => {
  if (isConnectorField(ref)) return fields ? readFields(fields, ref) : undefined;
  return raw === undefined ? (paths && ref in paths ? jsonToValue(paths[ref]) : undefined) : jsonToValue(readPath(raw, ref));
};

/** message_from_field: a remote field whose value changed since the snapshot becomes a hub comment under its headline. */
export function fieldMessages(
  rules: EffectiveRules,
  remote: { fields: ItemFields; raw: Json },
  snapshot: { fields: ItemFields; paths?: Record<string, Json> } | null,
): string[] {
  const out: string[] = [];
  for (const rule of rules.messageFromField) {
    const now = readMessageSource(rule.remote, remote.fields, remote.raw, undefined);
    if (now === null || now === undefined || now === '') continue;
    const before = snapshot ? readMessageSource(rule.remote, snapshot.fields, undefined, snapshot.paths) : null;
    if (snapshot && sameValue(now, before ?? null)) continue;
    out.push(`${rule.headline}\n\n${typeof now === 'string' ? now : JSON.stringify(now)}`);
  }
  return out;
}

/** Whether remote attachments flow into the hub on this binding. */
export const pullsFiles = (rules: EffectiveRules): boolean => rules.files?.direction === 'both' || rules.files?.direction === 'to_hub';

/** Whether a hub file goes to the remote: the files rule is on toward it and the name has its prefix. */
export function sendsFile(rules: EffectiveRules, name: string): boolean {
  const files = rules.files;
  if (!files || (files.direction !== 'both' && files.direction !== 'to_remote')) return false;
  return files.prefix === undefined || name.startsWith(files.prefix);
}
