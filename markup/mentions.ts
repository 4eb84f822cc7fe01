/**
 * The hub's mentions and the binding's user map, with no markup parser: what a connector needs to
 * write `@name` in a remote's own form and read it back. The SDK exports these to plugins.
 */

/**
 * The binding's user map, in the shape of a field rule's value map (`rules/schema.ts`): a hub user
 * name (as written after `@`) and the remote's name for the same person: a Redmine login, a Jira
 * Cloud account id, a Jira Data Center username, a Linear display name.
 */
export type UserMap = ReadonlyArray<{ hub: string; remote: string }>;

/**
 * `@name` as the hub writes it: not inside a word or an e-mail address, a GitHub-style login
 * (letters, digits, `_`, and `-` or `.` between them).
 */
export const HUB_MENTION = /(^|[^\p{L}\p{N}_@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)/gu;

/** The user map, looked up both ways. */
export interface Mentions {
  /** The remote user for a hub name, or undefined when the map has none (then `@name` stays text). */
  remote(hub: string): string | undefined;
  /** The hub name for a remote user, or undefined. */
  hub(remote: string): string | undefined;
}

/**
 * Lookups both ways through a user map (`ctx.binding.users` in a connector); the first matching pair
 * wins, as in a value map, and an exact match before one that differs only in case.
 */
export function mentions(users: UserMap | undefined): Mentions {
  const map = users ?? [];
  const find = (side: 'hub' | 'remote', value: string) =>
    map.find((u) => u[side] === value) ?? map.find((u) => u[side].toLowerCase() === value.toLowerCase());
  return { remote: (hub) => find('hub', hub)?.remote, hub: (remote) => find('remote', remote)?.hub };
}

/** Text split into plain runs and the mentions the user map knows. */
export type MentionPart = { text: string } | { hub: string; remote: string };

/**
 * Plain text (not markup: a text run, outside code and links) split at the hub's `@name` mentions of
 * people in the user map. Joining the parts back, a mention part as `@` + `hub`, gives the text again.
 */
export function splitMentions(value: string, known: Mentions): MentionPart[] {
  const parts: MentionPart[] = [];
  let last = 0;
  for (const m of value.matchAll(HUB_MENTION)) {
    const remote = known.remote(m[2]!);
    if (remote === undefined) continue;
    const at = m.index + m[1]!.length;
    if (at > last) parts.push({ text: value.slice(last, at) });
    parts.push({ hub: m[2]!, remote });
    last = at + 1 + m[2]!.length;
  }
  if (last < value.length) parts.push({ text: value.slice(last) });
  return parts;
}
