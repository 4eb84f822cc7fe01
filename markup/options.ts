import type { Nodes } from 'mdast';

/**
 * The binding's user map, in the shape of a field rule's value map (`rules/schema.ts`): a hub user
 * name (as written after `@`) and the remote's name for the same person: a Redmine login, a Jira
 * Cloud account id or a Jira Data Center username.
 */
export type UserMap = ReadonlyArray<{ hub: string; remote: string }>;

/** Options every converter takes. */
export interface MarkupOptions {
  /** Mentions are written, and read back, only for the people in this map. */
  users?: UserMap | undefined;
}

/**
 * `@name` as the hub writes it: not inside a word or an e-mail address, a GitHub-style login
 * (letters, digits, `_`, and `-` or `.` between them).
 */
export const HUB_MENTION = /(^|[^\p{L}\p{N}_@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)/gu;

export interface Mentions {
  /** The remote user for a hub name, or undefined when the map has none (then `@name` stays text). */
  remote(hub: string): string | undefined;
  /** The hub name for a remote user, or undefined. */
  hub(remote: string): string | undefined;
}

/** Lookups both ways through the user map; the first matching pair wins, as in a value map. */
export function mentions(options: MarkupOptions | undefined): Mentions {
  const users = options?.users ?? [];
  const find = (side: 'hub' | 'remote', value: string) =>
    users.find((u) => u[side] === value) ?? users.find((u) => u[side].toLowerCase() === value.toLowerCase());
  return { remote: (hub) => find('hub', hub)?.remote, hub: (remote) => find('remote', remote)?.hub };
}

/** Text split into plain runs and the mentions the user map knows. */
export type MentionPart = { text: string } | { hub: string; remote: string };

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

/** `@name` as a remote writes it (a Redmine login may hold `.`, `-` and `@`). */
const REMOTE_MENTION = /(^|[^\p{L}\p{N}_@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.@-]*[A-Za-z0-9_])?)/gu;

/** Renames `@login` in text (not in code or links) to the hub name the user map gives it. */
export function mentionsToHub(node: Nodes, known: Mentions): void {
  if (node.type === 'text') {
    node.value = node.value.replace(REMOTE_MENTION, (all, lead: string, login: string) => {
      const hub = known.hub(login);
      return hub === undefined ? all : `${lead}@${hub}`;
    });
  }
  if ('children' in node && node.type !== 'link') for (const child of node.children) mentionsToHub(child, known);
}
