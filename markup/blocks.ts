import type { Blockquote, BlockContent, List, ListItem, Nodes, Paragraph, Root } from 'mdast';

/**
 * Block shapes the remote formats lack, and how they travel (README: Markup).
 *
 * Blank lines in a list. Textile and Jira wiki lists are one line an item, so an item's second
 * paragraph, a code block under it, or a blank line between items, has no syntax. They are written
 * as a line that renders empty inside the item (`&nbsp;` in Textile, `\\` in wiki); the readers turn
 * such a line into a BLANK paragraph, and `settleLists` turns those back into the list's spacing.
 */
export const BLANK = '\uE000blank\uE000';

export const blankParagraph = (): Paragraph => ({ type: 'paragraph', children: [{ type: 'text', value: BLANK }] });

const isBlank = (node: Nodes | undefined): boolean =>
  node?.type === 'paragraph' && node.children.length === 1 && node.children[0]?.type === 'text' && node.children[0].value.trim() === BLANK;

/** Where a writer puts blank lines in a list item: between its blocks when spread, and after it when the list is. */
export function itemBlankLines(list: List, index: number): { between: boolean; after: boolean } {
  return { between: list.children[index]?.spread === true, after: list.spread === true && index < list.children.length - 1 };
}

/**
 * Reads the BLANK paragraphs of list items back into `spread` (a BLANK between an item's blocks
 * spreads the item; one at its end, the list), and a leading `[ ]` or `[x]` into a task. A BLANK at
 * the end of the last item of a nested list was written after the item that holds that list.
 */
export function settleLists(node: Nodes): Root {
  if (node.type === 'list') settleList(node);
  else if ('children' in node) for (const child of node.children) settleLists(child);
  return node as Root;
}

/** Settles a list and what its items hold; answers whether a blank line followed its last item. */
function settleList(list: List): boolean {
  list.spread = false;
  let trailing = false;
  list.children.forEach((item, i) => {
    const after = settleItem(item);
    if (after && i < list.children.length - 1) list.spread = true;
    if (after && i === list.children.length - 1) trailing = true;
  });
  return trailing;
}

/** Settles one item; answers whether a blank line followed it. */
function settleItem(item: ListItem): boolean {
  let after = false;
  item.children.forEach((child, i) => {
    if (child.type !== 'list') settleLists(child);
    else if (settleList(child) && i === item.children.length - 1) after = true;
  });
  while (isBlank(item.children.at(-1))) {
    item.children.pop();
    after = true;
  }
  item.spread = item.children.some(isBlank);
  item.children = item.children.filter((c) => !isBlank(c));
  readTaskBox(item);
  return after;
}

/** Reads the task boxes of every list item in a tree (see `readTaskBox`). */
export function readTaskBoxes(node: Nodes): void {
  if (node.type === 'listItem' && node.checked === null) readTaskBox(node);
  if ('children' in node) for (const child of node.children) readTaskBoxes(child);
}

/** A task item is written "[ ] …" or "[x] …" (Redmine and Jira wiki show the brackets as typed). */
function readTaskBox(item: ListItem): void {
  const first = item.children[0];
  const text = first?.type === 'paragraph' ? first.children[0] : undefined;
  const box = text?.type === 'text' ? /^\[([ xX])\] /.exec(text.value) : null;
  if (box && text?.type === 'text') {
    item.checked = box[1] !== ' ';
    text.value = text.value.slice(box[0].length);
  }
}

/**
 * Formats without blank-line marks (ADF): an item is spread when a block other than a nested list
 * follows its first, and a list when one of its items is. A list loose only between single-paragraph
 * items comes back tight.
 */
export function spreadByContent(node: Nodes): void {
  if (node.type === 'list') {
    for (const item of node.children) item.spread = item.children.slice(1).some((c) => c.type !== 'list');
    node.spread = node.children.some((item) => item.spread);
  }
  if ('children' in node) for (const child of node.children) spreadByContent(child);
}

/**
 * Nested quotes. ADF has no quote inside a quote, and Jira wiki's `{quote}` does not nest: there the
 * inner quote's paragraphs are written as paragraphs opening with `> `, the way e-mail shows a quote
 * in a quote, and read back as a nested quote. Other blocks of an inner quote join the outer one.
 */
export function nestedQuotesAsText(node: Nodes): void {
  if (!('children' in node)) return;
  for (const child of node.children) {
    if (child.type === 'blockquote') child.children = child.children.flatMap((c) => (c.type === 'blockquote' ? quoteAsText(c, '> ') : [c]));
    else nestedQuotesAsText(child);
  }
}

function quoteAsText(quote: Blockquote, prefix: string): Blockquote['children'] {
  return quote.children.flatMap((c): Blockquote['children'] => {
    if (c.type === 'blockquote') return quoteAsText(c, `${prefix}> `);
    if (c.type !== 'paragraph') return [c];
    const first = c.children[0];
    if (first?.type === 'text') return [{ ...c, children: [{ type: 'text', value: prefix + first.value }, ...c.children.slice(1)] }];
    return [{ ...c, children: [{ type: 'text', value: prefix }, ...c.children] }];
  });
}

/** The reading side of nestedQuotesAsText: paragraphs opening with `> ` inside a quote are a quote in it (deeper levels on the recursion). */
export function nestedQuotesFromText(node: Nodes): void {
  if (!('children' in node)) return;
  for (const child of node.children) {
    if (child.type === 'blockquote') child.children = regroup(child.children);
    nestedQuotesFromText(child);
  }
}

function regroup(children: Blockquote['children']): Blockquote['children'] {
  const out: Blockquote['children'] = [];
  const made = new Set<Blockquote>();
  for (const child of children) {
    const inner = unquote(child);
    const previous = out.at(-1);
    if (!inner) out.push(child);
    else if (previous?.type === 'blockquote' && made.has(previous)) previous.children.push(inner);
    else {
      const quote: Blockquote = { type: 'blockquote', children: [inner] };
      made.add(quote);
      out.push(quote);
    }
  }
  return out;
}

/** A paragraph opening with `> `, without it; undefined for any other block. */
function unquote(node: BlockContent | Blockquote['children'][number]): Paragraph | undefined {
  if (node.type !== 'paragraph') return undefined;
  const first = node.children[0];
  if (first?.type !== 'text' || !/^> /.test(first.value)) return undefined;
  const rest = first.value.slice(2);
  return { ...node, children: rest ? [{ ...first, value: rest }, ...node.children.slice(1)] : node.children.slice(1) };
}
