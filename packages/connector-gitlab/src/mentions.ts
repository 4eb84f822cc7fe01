/**
 * Mentions in GitLab's Markdown. GitLab writes a mention as the hub does, `@username`, so only the
 * names change: through the binding's user map, the hub's `@alice` goes as `@alice.smith` and comes
 * back as `@alice`. Without the map, a hub name would mention whoever has that username on GitLab.
 * People the map does not name stay as written. Only text runs are renamed (not code, links or HTML
 * comments such as the create marker), and every other byte of the text is kept.
 */
import { type Mentions, mentions, splitMentions, type UserPair } from '@trackbridge/sdk';
import type { Nodes } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';

/** `markdown` with every `@name` in its text runs renamed by `lookup.remote`. */
function rename(markdown: string, lookup: Mentions): string {
  if (!markdown.includes('@')) return markdown;
  const pieces: string[] = [];
  let copied = 0;
  const visit = (node: Nodes): void => {
    const [start, end] = [node.position?.start.offset, node.position?.end.offset];
    if (node.type === 'text' && start !== undefined && end !== undefined) {
      const parts = splitMentions(markdown.slice(start, end), lookup);
      pieces.push(markdown.slice(copied, start), ...parts.map((p) => ('text' in p ? p.text : `@${p.remote}`)));
      copied = end;
    } else if ('children' in node && node.type !== 'link' && node.type !== 'linkReference') {
      for (const child of node.children) visit(child);
    }
  };
  visit(fromMarkdown(markdown));
  return pieces.join('') + markdown.slice(copied);
}

export interface MentionText {
  /** Hub Markdown → GitLab's: a mapped `@name` as the GitLab username. */
  toGitLab(markdown: string): string;
  /** GitLab's Markdown → the hub's: a mapped `@username` as the hub's name. */
  toHub(markdown: string): string;
}

export function mentionText(users: readonly UserPair[]): MentionText {
  const known = mentions(users);
  const reverse: Mentions = { remote: known.hub, hub: known.remote };
  return users.length
    ? { toGitLab: (md) => rename(md, known), toHub: (md) => rename(md, reverse) }
    : { toGitLab: (md) => md, toHub: (md) => md };
}
