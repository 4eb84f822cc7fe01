import type { BlockContent, Code, DefinitionContent, List, ListItem, PhrasingContent, RootContent, Table } from 'mdast';
import type { AdfDoc, AdfMark, AdfNode } from './adf-types';
import { parseGfm } from './gfm';
import { inlineReferences } from './references';

/**
 * Hub markup → ADF. A mapping of the mdast tree; where ADF forbids a nesting (a heading in a
 * quote, a quote in a list item, marks on inline code) the content is kept and the form is not.
 * Mentions stay text: an ADF mention needs a Jira account id, which only the connector can look up.
 */
export function toAdf(md: string): AdfDoc {
  const tree = inlineReferences(parseGfm(md));
  const ids = { next: 1 };
  return { type: 'doc', version: 1, content: tree.children.flatMap((n) => block(n, ids, 'doc')) };
}

type Place = 'doc' | 'quote' | 'item';
interface Ids { next: number }

function block(node: RootContent, ids: Ids, place: Place): AdfNode[] {
  switch (node.type) {
    case 'paragraph': {
      const only = node.children.length === 1 ? node.children[0] : undefined;
      if (only?.type === 'image') return [media(only.url, only.alt)];
      return [paragraph(node.children)];
    }
    case 'heading':
      return place === 'doc' ? [{ type: 'heading', attrs: { level: node.depth }, content: inline(node.children, []) }] : [paragraph(node.children)];
    case 'thematicBreak': return place === 'doc' ? [{ type: 'rule' }] : [];
    case 'blockquote': {
      const inner = node.children.flatMap((c) => block(c, ids, 'quote'));
      // ADF has no quote inside a quote or a list item: the inner blocks stand in its place.
      return place === 'doc' ? [{ type: 'blockquote', content: inner.length ? inner : [{ type: 'paragraph' }] }] : inner;
    }
    case 'list': return [list(node, ids)];
    case 'code': return [codeBlock(node)];
    case 'table': return place === 'doc' ? [table(node)] : [];
    case 'html': return [paragraph([{ type: 'text', value: node.value }])];
    default: return 'children' in node ? (node.children as RootContent[]).flatMap((c) => block(c, ids, place)) : [];
  }
}

const paragraph = (children: PhrasingContent[]): AdfNode => {
  const content = inline(children, []);
  return content.length ? { type: 'paragraph', content } : { type: 'paragraph' };
};

const media = (url: string, alt: string | null | undefined): AdfNode => ({
  type: 'mediaSingle',
  attrs: { layout: 'center' },
  content: [{ type: 'media', attrs: { type: 'external', url, ...(alt ? { alt } : {}) } }],
});

function codeBlock(node: Code): AdfNode {
  return { type: 'codeBlock', ...(node.lang ? { attrs: { language: node.lang } } : {}), ...(node.value ? { content: [{ type: 'text', text: node.value }] } : {}) };
}

function list(node: List, ids: Ids): AdfNode {
  if (node.children.some((item) => typeof item.checked === 'boolean')) return taskList(node, ids);
  const items = node.children.map((item): AdfNode => {
    const content = item.children.flatMap((c: BlockContent | DefinitionContent) => block(c, ids, 'item'));
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
        inlines.push(...inline(child.children, []));
      }
    }
    const task: AdfNode = { type: 'taskItem', attrs: { localId: `task-${ids.next++}`, state: item.checked ? 'DONE' : 'TODO' }, ...(inlines.length ? { content: inlines } : {}) };
    return [task, ...nested];
  });
  return { type: 'taskList', attrs: { localId: `tasks-${ids.next++}` }, content };
}

function table(node: Table): AdfNode {
  return {
    type: 'table',
    content: node.children.map((row, r) => ({
      type: 'tableRow',
      content: row.children.map((cell) => ({ type: r === 0 ? 'tableHeader' : 'tableCell', content: [paragraph(cell.children)] })),
    })),
  };
}

/** Inline content with the marks of its ancestors; ADF allows only a link beside a code mark. */
function inline(nodes: PhrasingContent[], marks: AdfMark[]): AdfNode[] {
  return nodes.flatMap((node): AdfNode[] => {
    switch (node.type) {
      case 'text': return textNodes(node.value, marks);
      case 'emphasis': return inline(node.children, [...marks, { type: 'em' }]);
      case 'strong': return inline(node.children, [...marks, { type: 'strong' }]);
      case 'delete': return inline(node.children, [...marks, { type: 'strike' }]);
      case 'inlineCode': return node.value ? [{ type: 'text', text: node.value, marks: [...marks.filter((m) => m.type === 'link'), { type: 'code' }] }] : [];
      case 'break': return [{ type: 'hardBreak' }];
      case 'link': {
        const link: AdfMark = { type: 'link', attrs: { href: node.url, ...(node.title ? { title: node.title } : {}) } };
        const content = inline(node.children, [...marks.filter((m) => m.type !== 'link'), link]);
        return content.length ? content : textNodes(node.url, [link]);
      }
      // ADF has no inline external image: it travels as a link to the image.
      case 'image': return textNodes(node.alt || node.url, [{ type: 'link', attrs: { href: node.url } }, ...marks.filter((m) => m.type !== 'link')]);
      case 'html': return textNodes(node.value, marks);
      case 'footnoteReference': return textNodes(`[^${node.label ?? node.identifier}]`, marks);
      default: return 'children' in node ? inline(node.children as PhrasingContent[], marks) : [];
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
