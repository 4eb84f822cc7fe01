import type { Nodes, Parents, Root } from 'mdast';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import remarkStringify from 'remark-stringify';
import { unified } from 'unified';

/**
 * The hub's markup is GitHub-flavoured CommonMark. Every converter parses and prints it through this
 * one processor, so two texts that mean the same print the same (see `normalize`).
 */
const processor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(remarkStringify, { bullet: '-', emphasis: '*', strong: '*', fence: '`', fences: true, rule: '-', listItemIndent: 'one', incrementListMarker: true });

/** Parses hub markup into an mdast tree. */
export function parseGfm(md: string): Root {
  return processor.runSync(processor.parse(md)) as Root;
}

/**
 * Prints an mdast tree as hub markup. A hard break becomes a plain newline first: trackers render
 * a newline inside a paragraph as a line break (GitHub issues, Redmine, Jira), so the two are one.
 */
export function stringifyGfm(tree: Root): string {
  softenBreaks(tree);
  return processor.stringify(tree).replace(/\n+$/, '');
}

/** The hub form of a text: parsed and printed once, so comparing two hub forms compares meaning. */
export function normalize(md: string): string {
  const once = stringifyGfm(parseGfm(md.replace(/\r\n?/g, '\n')));
  // A second pass settles the few constructs the printer escapes differently than it read them.
  return stringifyGfm(parseGfm(once));
}

/** Replaces `break` nodes with a newline, joining it to the neighbouring text. */
function softenBreaks(node: Nodes): void {
  if (!('children' in node)) return;
  const children: Nodes[] = [];
  for (const child of node.children as Nodes[]) {
    const next: Nodes = child.type === 'break' ? { type: 'text', value: '\n' } : child;
    const last = children.at(-1);
    // Adjacent texts are joined: the printer would otherwise escape at their seam.
    if (last?.type === 'text' && next.type === 'text') last.value += next.value;
    else children.push(next);
    softenBreaks(next);
  }
  (node as Parents).children = children as Parents['children'];
}
