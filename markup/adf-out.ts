import type { BlockContent, Code, DefinitionContent, List, ListItem, PhrasingContent, RootContent, Table } from 'mdast';
import type { AdfDoc, AdfMark, AdfNode } from './adf-types';
import { nestedQuotesAsText } from './blocks';
import { parseGfm } from './gfm';
import { mentions, splitMentions, type Mentions } from './mentions';
import type { MarkupOptions } from './options';
import { inlineReferences } from './references';

/**
 * Hub markup → ADF. A mapping of the mdast tree; where ADF forbids a nesting (a heading in a
 * quote, a quote in a list item, marks on inline code) the content is kept and the form is not. A
 * quote in a quote is written as paragraphs opening with `> ` (markup/blocks.ts). `@name` is a
 * mention node for the people in the user map, whose remote name is their Jira account id.
 */
export function toAdf(md: string, options: MarkupOptions = {}): AdfDoc {
  const tree = inlineReferences(parseGfm(md));
  nestedQuotesAsText(tree);
  const ids: Ids = { next: 1, known: mentions(options.users) };
  return { type: 'doc', version: 1, content: tree.children.flatMap((n) => block(n, ids, 'doc')) };
}

type Place = 'doc' | 'quote' | 'item';
/** The state of one conversion: local ids handed out so far, and the user map. */
interface Ids { next: number; known: Mentions }

function block(node: RootContent, ids: Ids, place: Place): AdfNode[] {
  switch (node.type) {
    case 'paragraph': {
      const only = node.children.length === 1 ? node.children[0] : undefined;
      if (only?.type === 'image') return [media(only.url, only.alt)];
      // A linked image: the link is a mark on the media.
      const image = only?.type === 'link' && !only.title && only.children.length === 1 ? only.children[0] : undefined;
      if (only?.type === 'link' && image?.type === 'image') return [media(image.url, image.alt, only.url)];
      return [paragraph(node.children, ids)];
    }
    case 'heading':
      return place === 'doc' ? [{ type: 'heading', attrs: { level: node.depth }, content: inline(node.children, [], ids) }] : [paragraph(node.children, ids)];
    case 'thematicBreak': return place === 'doc' ? [{ type: 'rule' }] : [];
    case 'blockquote': {
      const inner = node.children.flatMap((c) => block(c, ids, 'quote'));
      // ADF has no quote inside a quote or a list item: the inner blocks stand in its place.
      return place === 'doc' ? [{ type: 'blockquote', content: inner.length ? inner : [{ type: 'paragraph' }] }] : inner;
    }
    case 'list': return [list(node, ids)];
    case 'code': return [codeBlock(node)];
    case 'table': return place === 'doc' ? [table(node, ids)] : [];
    case 'html': return [{ type: 'paragraph', content: textNodes(node.value, []) }];
    default: return 'children' in node ? (node.children as RootContent[]).flatMap((c) => block(c, ids, place)) : [];
  }
}

const paragraph = (children: PhrasingContent[], ids: Ids, marks: AdfMark[] = []): AdfNode => {
  const content = inline(children, [], ids);
  return { type: 'paragraph', ...(marks.length ? { marks } : {}), ...(content.length ? { content } : {}) };
};

const media = (url: string, alt: string | null | undefined, href?: string): AdfNode => ({
  type: 'mediaSingle',
  attrs: { layout: 'center' },
  content: [{ type: 'media', attrs: { type: 'external', url, ...(alt ? { alt } : {}) }, ...(href ? { marks: [{ type: 'link', attrs: { href } }] } : {}) }],
});

function codeBlock(node: Code): AdfNode {
  return { type: 'codeBlock', ...(node.lang ? { attrs: { language: node.lang } } : {}), ...(node.value ? { content: [{ type: 'text', text: node.value }] } : {}) };
}

function list(node: List, ids: Ids): AdfNode {
  const tasks = node.children.filter((item) => typeof item.checked === 'boolean').length;
  if (tasks === node.children.length && !node.ordered) return taskList(node, ids);
  const items = node.children.map((item): AdfNode => {
    const content = item.children.flatMap((c: BlockContent | DefinitionContent) => block(c, ids, 'item'));
    // In a list that is not all tasks, a task's box is text, read back as a task (as in Textile and wiki).
    const box = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
    if (box && content[0]?.type === 'paragraph') content[0] = { ...content[0], content: [{ type: 'text', text: box }, ...(content[0].content ?? [])] };
    return { type: 'listItem', content: content.length ? content : [{ type: 'paragraph' }] };
  });
  if (!node.ordered) return { type: 'bulletList', content: items };
  return { type: 'orderedList', ...(node.start !== null && node.start !== undefined && node.start !== 1 ? { attrs: { order: node.start } } : {}), content: items };
}

/** A task item holds inline content only: its paragraphs join with line breaks, nested tasks follow it. */
function taskList(node: List, ids: Ids): AdfNode {
  const content = node.children.flatMap((item: ListItem): AdfNode[] => {
    const inlines: AdfNode[] = [];
    const nested: AdfNode[] = [];
    for (const child of item.children) {
      if (child.type === 'list') nested.push(taskList(child, ids));
      else if (child.type === 'paragraph' || child.type === 'heading') {
        if (inlines.length) inlines.push({ type: 'hardBreak' });
        inlines.push(...inline(child.children, [], ids));
      }
    }
    const task: AdfNode = { type: 'taskItem', attrs: { localId: `task-${ids.next++}`, state: item.checked ? 'DONE' : 'TODO' }, ...(inlines.length ? { content: inlines } : {}) };
    return [task, ...nested];
  });
  return { type: 'taskList', attrs: { localId: `tasks-${ids.next++}` }, content };
}

/** ADF aligns a cell's paragraph to the centre or the end; a column aligned left is as unaligned. */
const ALIGNMENT: Partial<Record<string, string>> = { center: 'center', right: 'end' };

function table(node: Table, ids: Ids): AdfNode {
  return {
    type: 'table',
    content: node.children.map((row, r) => ({
      type: 'tableRow',
      content: row.children.map((cell, c) => {
        const align = ALIGNMENT[node.align?.[c] ?? ''];
        return { type: r === 0 ? 'tableHeader' : 'tableCell', content: [paragraph(cell.children, ids, align ? [{ type: 'alignment', attrs: { align } }] : [])] };
      }),
    })),
  };
}

/**
 * Inline content with the marks of its ancestors; ADF allows only a link beside a code mark. A
 * mention node takes no marks, so `@name` in a marked run stays text.
 */
function inline(nodes: PhrasingContent[], marks: AdfMark[], ids: Ids): AdfNode[] {
  return nodes.flatMap((node): AdfNode[] => {
    switch (node.type) {
      case 'text': return marks.length ? textNodes(node.value, marks) : splitMentions(node.value, ids.known).flatMap((part) => ('remote' in part
        ? [{ type: 'mention', attrs: { id: part.remote, text: `@${part.hub}` } }]
        : textNodes(part.text, marks)));
      case 'emphasis': return inline(node.children, [...marks, { type: 'em' }], ids);
      case 'strong': return inline(node.children, [...marks, { type: 'strong' }], ids);
      case 'delete': return inline(node.children, [...marks, { type: 'strike' }], ids);
      case 'inlineCode': return node.value ? [{ type: 'text', text: node.value, marks: [...marks.filter((m) => m.type === 'link'), { type: 'code' }] }] : [];
      case 'break': return [{ type: 'hardBreak' }];
      case 'link': {
        const link: AdfMark = { type: 'link', attrs: { href: node.url, ...(node.title ? { title: node.title } : {}) } };
        const content = inline(node.children, [...marks.filter((m) => m.type !== 'link'), link], ids);
        return content.length ? content : textNodes(node.url, [link]);
      }
      // ADF has no inline external image: it travels as a link to the image.
      case 'image': return textNodes(node.alt || node.url, [{ type: 'link', attrs: { href: node.url } }, ...marks.filter((m) => m.type !== 'link')]);
      case 'html': return textNodes(node.value, marks);
      case 'footnoteReference': return textNodes(`[^${node.label ?? node.identifier}]`, marks);
      default: return 'children' in node ? inline(node.children as PhrasingContent[], marks, ids) : [];
    }
  });
}

/** Text with newlines (soft breaks) as hardBreak nodes, as trackers render them. */
function textNodes(value: string, marks: AdfMark[]): AdfNode[] {
  return value.split('\n').flatMap((part, i): AdfNode[] => [
    ...(i > 0 ? [{ type: 'hardBreak' }] : []),
    ...(part ? [{ type: 'text', text: part, ...(marks.length ? { marks } : {}) }] : []),
  ]);
}
