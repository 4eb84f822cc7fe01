/**
 * Mentions in Linear's Markdown, both ways through the binding's user map (hub name ↔ Linear display
 * name).
 *
 * Linear has no `@name` syntax in Markdown: `@name` stays text and notifies nobody. A mention is a link
 * to the user's profile, `https://linear.app/<workspace>/profiles/<name>`: sent in a body, the bare
 * profile URL becomes a mention (Linear's answer on linear/linear#351), and bodies read back carry a
 * mention as a link to that profile, `[Their Name](profile URL)`. So the hub's `@name` goes as the
 * person's profile URL (the `url` Linear gives the user), and a link, autolink or bare URL naming a
 * profile comes back as `@name`. People the user map does not name stay as written, both ways.
 *
 * Only text is rewritten: code spans, code blocks and link texts are left alone, and every other byte
 * of the body is kept as it was (edits are made at the parser's source offsets).
 */
import { type Mentions, mentions, splitMentions, type UserPair } from '@trackbridge/sdk';
import type { Link, Nodes, Text } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';

/** A Linear user, as the mention conversion needs them. */
export interface Person { displayName: string; name: string; url: string }

/** A profile URL: the workspace's url key, then the profile's name (display name, or as Linear rewrote it). */
const PROFILE = /^https:\/\/linear\.app\/[^/\s]+\/profiles\/([^/?#\s]+)\/?$/i;
/** A bare profile URL in text (where no link syntax wraps it). */
const BARE_PROFILE = /https:\/\/linear\.app\/[^/\s]+\/profiles\/[^/?#\s<>()[\]]+\/?/gi;
/** What may follow a bare URL without GFM's autolink taking it into the URL. */
const ENDS_URL = /^(?:$|[\s.,:;!?*_~)])/;

interface Edit { start: number; end: number; text: string }

/** The text with each edit's source range replaced, last first so earlier offsets stay right. */
function applyEdits(source: string, edits: Edit[]): string {
  let out = source;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** Every text node outside links and link references, and every link, with its source range. */
function walk(node: Nodes, onText: (node: Text, start: number, end: number) => void, onLink: (node: Link, start: number, end: number) => void): void {
  const start = node.position?.start.offset;
  const end = node.position?.end.offset;
  if (start === undefined || end === undefined) return;
  if (node.type === 'text') return onText(node, start, end);
  if (node.type === 'link') return onLink(node, start, end);
  if (node.type === 'linkReference') return;
  if ('children' in node) for (const child of node.children) walk(child, onText, onLink);
}

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The person a profile URL names: by the URL Linear gives them, else by the name in the URL. */
function personAt(url: string, people: readonly Person[]): Person | undefined {
  const segment = PROFILE.exec(url)?.[1];
  if (segment === undefined) return undefined;
  const name = decode(segment.replace(/\/$/, ''));
  return people.find((p) => same(p.url.replace(/\/$/, ''), url.replace(/\/$/, ''))) ?? people.find((p) => same(p.displayName, name)) ?? people.find((p) => same(p.name, name));
}

export interface MentionText {
  /** Hub Markdown → Linear's: `@name` of a mapped person becomes their profile URL. */
  toLinear(markdown: string): Promise<string>;
  /** Linear's Markdown → the hub's: a link to a mapped person's profile becomes `@name`. */
  toHub(markdown: string): Promise<string>;
}

/**
 * Mention conversion for one binding's user map. `people` is asked only when a body may hold a
 * mention to convert (the workspace's users, one query per session), and never when the map is empty.
 */
export function mentionText(users: readonly UserPair[], people: () => Promise<readonly Person[]>): MentionText {
  const known: Mentions = mentions(users);
  const hubName = (person: Person | undefined) => (person ? known.hub(person.displayName) : undefined);

  return {
    async toLinear(markdown) {
      if (!users.length || !markdown.includes('@')) return markdown;
      const everyone = await people();
      const edits: Edit[] = [];
      walk(fromMarkdown(markdown), (_node, start, end) => {
        // The source, not the node's value: an escaped `\@name` is the author's wish for plain text.
        const source = markdown.slice(start, end);
        let at = 0;
        for (const part of splitMentions(source, known)) {
          if ('text' in part) {
            at += part.text.length;
            continue;
          }
          const length = 1 + part.hub.length;
          const url = everyone.find((p) => same(p.displayName, part.remote))?.url;
          if (url && source[at - 1] !== '\\') {
            const next = markdown.slice(start + at + length, start + at + length + 1);
            edits.push({ start: start + at, end: start + at + length, text: ENDS_URL.test(next) ? url : `<${url}>` });
          }
          at += length;
        }
      }, () => undefined);
      return applyEdits(markdown, edits);
    },

    async toHub(markdown) {
      if (!users.length || !/linear\.app\/[^/\s]+\/profiles\//i.test(markdown)) return markdown;
      const everyone = await people();
      const edits: Edit[] = [];
      walk(fromMarkdown(markdown), (_node, start, end) => {
        const source = markdown.slice(start, end);
        for (const m of source.matchAll(BARE_PROFILE)) {
          // A bare URL ends before trailing punctuation, as GFM's autolinks do.
          const url = m[0].replace(/[.,:;!?*_~]+$/, '');
          const hub = hubName(personAt(url, everyone));
          if (hub !== undefined) edits.push({ start: start + m.index, end: start + m.index + url.length, text: `@${hub}` });
        }
      }, (link, start, end) => {
        const hub = hubName(personAt(link.url, everyone));
        // `@[Name](url)`: the `@` some writers put before the link belongs to the mention.
        if (hub !== undefined) edits.push({ start: markdown[start - 1] === '@' ? start - 1 : start, end, text: `@${hub}` });
      });
      return applyEdits(markdown, edits);
    },
  };
}
