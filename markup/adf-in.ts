import type { BlockContent, ListItem, Nodes, PhrasingContent, Root, RootContent, TableCell, TableRow } from 'mdast';
import type { AdfDoc, AdfMark, AdfNode } from './adf-types';
import { nestedQuotesFromText, readTaskBoxes, spreadByContent } from './blocks';
import { stringifyGfm } from './gfm';
import { mentions, type Mentions } from './mentions';
import type { MarkupOptions } from './options';
import { tagsAsHtml } from './textile-in';

/**
 * ADF → hub markup. Nodes with no markup counterpart (panels, expands, status lozenges, cards)
 * keep their text; media uploaded to Jira has no URL in ADF and is left out. A mention of someone in
 * the user map is `@name`; anyone else is the name Jira shows.
 */
export function fromAdf(doc: AdfDoc | AdfNode, options: MarkupOptions = {}): string {
  const tree: Root = { type: 'root', children: blocks(doc.content ?? []) as RootContent[] };
  mentionsByMap(tree, mentions(options.users));
  nestedQuotesFromText(tree);
  spreadByContent(tree);
  readTaskBoxes(tree);
  // Jira shows a tag as typed, as Redmine does: the same reading keeps `<tag>` from turning into `\<tag>`.
  tagsAsHtml(tree);
  return stringifyGfm(tree);
}

/** A mention read from ADF: its text, and the account id it names. */
interface MentionData { mentionId?: string }

/** A mention of someone in the user map reads as `@` and their hub name. */
function mentionsByMap(node: Nodes, known: Mentions): void {
  if (node.type === 'text') {
    const id = (node.data as MentionData | undefined)?.mentionId;
    const hub = id === undefined ? undefined : known.hub(id);
    if (hub !== undefined) node.value = `@${hub}`;
    delete node.data;
  }
  if ('children' in node) for (const child of node.children) mentionsByMap(child, known);
}

const blocks = (nodes: AdfNode[]): BlockContent[] => nodes.flatMap(block);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function block(node: AdfNode): BlockContent[] {
  const content = node.content ?? [];
  switch (node.type) {
    case 'paragraph': return [{ type: 'paragraph', children: inline(content) }];
    case 'heading': {
      const level = Math.min(6, Math.max(1, Number(node.attrs?.level ?? 1))) as 1 | 2 | 3 | 4 | 5 | 6;
      return [{ type: 'heading', depth: level, children: inline(content) }];
    }
    case 'rule': return [{ type: 'thematicBreak' }];
    case 'blockquote': return [{ type: 'blockquote', children: blocks(content) }];
    case 'codeBlock': return [{ type: 'code', lang: str(node.attrs?.language) ?? null, meta: null, value: content.map((t) => t.text ?? '').join('') }];
    case 'bulletList': case 'orderedList': {
      const order = Number(node.attrs?.order ?? 1);
      return [{ type: 'list', ordered: node.type === 'orderedList', start: node.type === 'orderedList' ? order : null, spread: false, children: content.map(listItem) }];
    }
    case 'taskList': return [{ type: 'list', ordered: false, start: null, spread: false, children: taskItems(content) }];
    case 'mediaSingle': case 'mediaGroup': return content.flatMap(mediaImage);
    case 'table': return [table(content)];
    default:
      if (node.text !== undefined || isInline(node)) return [{ type: 'paragraph', children: inline([node]) }];
      return blocks(content);
  }
}

const isInline = (node: AdfNode): boolean => ['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'date', 'status'].includes(node.type);

function listItem(node: AdfNode): ListItem {
  return { type: 'listItem', spread: false, checked: null, children: blocks(node.content ?? []) };
}

/** A taskItem holds inline content; a taskList right after it is its nested list. */
function taskItems(nodes: AdfNode[]): ListItem[] {
  const items: ListItem[] = [];
  for (const node of nodes) {
    const previous = items.at(-1);
    if (node.type === 'taskList' && previous) {
      previous.children.push({ type: 'list', ordered: false, start: null, spread: false, children: taskItems(node.content ?? []) });
    } else if (node.type === 'taskItem' || node.type === 'blockTaskItem') {
      const children = node.type === 'taskItem' ? [{ type: 'paragraph' as const, children: inline(node.content ?? []) }] : blocks(node.content ?? []);
      items.push({ type: 'listItem', spread: false, checked: node.attrs?.state === 'DONE', children });
    }
  }
  return items;
}

function mediaImage(node: AdfNode): BlockContent[] {
  const url = str(node.attrs?.url);
  if (node.type !== 'media' || !url) return [];
  const image: PhrasingContent = { type: 'image', url, alt: str(node.attrs?.alt) ?? null, title: null };
  const href = str(node.marks?.find((m) => m.type === 'link')?.attrs?.href);
  return [{ type: 'paragraph', children: [href ? { type: 'link', url: href, title: null, children: [image] } : image] }];
}

const ALIGN: Partial<Record<string, 'center' | 'right'>> = { center: 'center', end: 'right' };

function table(rows: AdfNode[]): BlockContent {
  const children: TableRow[] = rows.map((row) => ({
    type: 'tableRow',
    // A cell's paragraphs join with spaces: a table cell in markdown is one line.
    children: (row.content ?? []).map((cell): TableCell => ({ type: 'tableCell', children: joinCell(cell.content ?? []) })),
  }));
  // A column's alignment is its first cell's.
  const align = (rows[0]?.content ?? []).map((cell) => ALIGN[String(cell.content?.[0]?.marks?.find((m) => m.type === 'alignment')?.attrs?.align)] ?? null);
  return { type: 'table', align, children };
}

function joinCell(nodes: AdfNode[]): PhrasingContent[] {
  return nodes.flatMap((node, i): PhrasingContent[] => {
    const own = node.type === 'paragraph' || node.type === 'heading' ? inline(node.content ?? []) : inline(collectInline(node));
    return i > 0 ? [{ type: 'text', value: ' ' }, ...own] : own;
  }).map((n) => (n.type === 'break' ? { type: 'text', value: ' ' } : n));
}

const collectInline = (node: AdfNode): AdfNode[] => (isInline(node) ? [node] : (node.content ?? []).flatMap(collectInline));

/** One mark's identity: links are the same mark only with the same target. */
const markKey = (mark: AdfMark): string => (mark.type === 'link' ? `link ${String(mark.attrs?.href)} ${String(mark.attrs?.title ?? '')}` : mark.type);

/**
 * Inline ADF (flat text runs, each with its marks) → nested mdast phrasing. At each run the mark
 * that spans the most following runs is opened first (on a tie, the one listed first), so `*a **b***`
 * and `**[a](u)**` come back as they went.
 */
function inline(nodes: AdfNode[]): PhrasingContent[] {
  return nest(nodes.map((node) => ({ node, marks: (node.marks ?? []).filter((m) => m.type !== 'code') })));
}

interface Run { node: AdfNode; marks: AdfMark[] }

function nest(runs: Run[]): PhrasingContent[] {
  const out: PhrasingContent[] = [];
  let i = 0;
  while (i < runs.length) {
    const run = runs[i]!;
    let best: { mark: AdfMark; end: number } | undefined;
    for (const mark of run.marks) {
      let end = i + 1;
      while (end < runs.length && runs[end]!.marks.some((m) => markKey(m) === markKey(mark))) end++;
      if (!best || end > best.end) best = { mark, end };
    }
    if (!best) {
      out.push(...leaf(run.node));
      i++;
      continue;
    }
    const key = markKey(best.mark);
    const inner = nest(runs.slice(i, best.end).map((r) => ({ node: r.node, marks: r.marks.filter((m) => markKey(m) !== key) })));
    out.push(...wrap(best.mark, inner));
    i = best.end;
  }
  return out;
}

function wrap(mark: AdfMark, children: PhrasingContent[]): PhrasingContent[] {
  switch (mark.type) {
    case 'strong': return [{ type: 'strong', children }];
    case 'em': return [{ type: 'emphasis', children }];
    case 'strike': return [{ type: 'delete', children }];
    case 'link': return [{ type: 'link', url: str(mark.attrs?.href) ?? '', title: str(mark.attrs?.title) ?? null, children }];
    // Underline, colour, sub/superscript: markdown has none of them; the text stays.
    default: return children;
  }
}

function leaf(node: AdfNode): PhrasingContent[] {
  switch (node.type) {
    case 'text':
      if ((node.marks ?? []).some((m) => m.type === 'code')) return [{ type: 'inlineCode', value: node.text ?? '' }];
      return [{ type: 'text', value: node.text ?? '' }];
    case 'hardBreak': return [{ type: 'break' }];
    case 'mention': {
      const id = str(node.attrs?.id);
      const name = str(node.attrs?.text) ?? id ?? '';
      return [{ type: 'text', value: name.startsWith('@') ? name : `@${name}`, ...(id === undefined ? {} : { data: { mentionId: id } as MentionData }) }];
    }
    case 'emoji': return [{ type: 'text', value: str(node.attrs?.text) ?? str(node.attrs?.shortName) ?? '' }];
    case 'inlineCard': {
      const url = str(node.attrs?.url) ?? '';
      return [{ type: 'link', url, title: null, children: [{ type: 'text', value: url }] }];
    }
    case 'status': return [{ type: 'text', value: str(node.attrs?.text) ?? '' }];
    default: return node.text ? [{ type: 'text', value: node.text }] : inline(node.content ?? []);
  }
}
