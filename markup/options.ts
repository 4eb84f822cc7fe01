import type { Nodes } from 'mdast';
import type { Mentions, UserMap } from './mentions';

/** Options every converter takes. */
export interface MarkupOptions {
  /** Mentions are written, and read back, only for the people in this map. */
  users?: UserMap | undefined;
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
