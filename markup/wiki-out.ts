import type { List, ListItem, Nodes, PhrasingContent, RootContent, Table } from 'mdast';
import { parseGfm } from './gfm';
import { inlineReferences } from './references';

/**
 * Hub markup → Jira wiki markup (Jira Data Center, REST v2). A compiler over the mdast tree; text is
 * escaped with backslashes wherever the wiki renderer could read markup, and `@name` becomes the
 * wiki mention `[~name]`.
 */
export function toJiraWiki(md: string): string {
  return blocks(inlineReferences(parseGfm(md)).children);
}

const blocks = (nodes: RootContent[]): string => nodes.map(block).filter((b) => b !== '').join('\n\n');

function block(node: RootContent): string {
  switch (node.type) {
    case 'paragraph': return inline(node.children);
    case 'heading': return `h${node.depth}. ${inline(node.children)}`;
    case 'thematicBreak': return '----';
    case 'blockquote': return `{quote}\n${blocks(node.children)}\n{quote}`;
    case 'list': return listLines(node, '').join('\n');
    case 'code': return `{code${node.lang ? `:${node.lang.replace(/[|}]/g, '')}` : ''}}\n${node.value}\n{code}`;
    case 'table': return table(node);
    case 'html': return escapeWiki(node.value, true);
    default: return 'children' in node ? blocks(node.children as RootContent[]) : '';
  }
}

function flatten(node: Nodes): string[] {
  if (node.type === 'paragraph' || node.type === 'heading') return [inline(node.children)];
  if (node.type === 'code') return [`{noformat}${node.value}{noformat}`];
  if ('children' in node) return (node.children as Nodes[]).flatMap(flatten);
  return [];
}

/** Jira lists are one line an item (`*`, `#`, `#*` …); an item's extra paragraphs join its line. */
function listLines(list: List, prefix: string): string[] {
  const marker = prefix + (list.ordered ? '#' : '*');
  return list.children.flatMap((item: ListItem) => {
    const nested = item.children.filter((c): c is List => c.type === 'list');
    const text = item.children.filter((c) => c.type !== 'list').flatMap(flatten).join('\n');
    // Jira has no task lists; the box is written as text and read back as a task (see fromJiraWiki).
    const box = item.checked === true ? '\\[x\\] ' : item.checked === false ? '\\[ \\] ' : '';
    return [`${marker} ${box}${text}`, ...nested.flatMap((n) => listLines(n, marker))];
  });
}

function table(node: Table): string {
  return node.children.map((row, r) => {
    const sep = r === 0 ? '||' : '|';
    return `${sep}${row.children.map((cell) => inline(cell.children) || ' ').join(sep)}${sep}`;
  }).join('\n');
}

function inline(nodes: PhrasingContent[], inLink = false): string {
  let out = '';
  for (const node of nodes) out += phrasing(node, out === '' || out.endsWith('\n'), inLink);
  return out;
}

function phrasing(node: PhrasingContent, lineStart: boolean, inLink: boolean): string {
  switch (node.type) {
    // A mention is a link of its own, so inside a link's text `@name` stays text.
    case 'text': return inLink ? escapeWiki(node.value, lineStart) : mentions(node.value, lineStart);
    case 'emphasis': return `_${inline(node.children, inLink)}_`;
    case 'strong': return `*${inline(node.children, inLink)}*`;
    case 'delete': return `-${inline(node.children, inLink)}-`;
    case 'inlineCode': return `{{${escapeWiki(node.value, false, true)}}}`;
    case 'break': return '\n';
    case 'link': {
      const text = inline(node.children, true);
      return text && text !== escapeWiki(node.url, false) ? `[${text}|${node.url}]` : `[${node.url}]`;
    }
    case 'image': return `!${node.url}${node.alt ? `|alt=${node.alt.replace(/[,!|]/g, ' ')}` : ''}!`;
    case 'html': return escapeWiki(node.value, lineStart);
    case 'footnoteReference': return escapeWiki(`[^${node.label ?? node.identifier}]`, lineStart);
    default: return 'children' in node ? inline(node.children as PhrasingContent[], inLink) : '';
  }
}

/** `@name` (not inside a word or an address) is a mention. */
const MENTION = /(^|[^\p{L}\p{N}_@.])@([A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z0-9_])/gu;

function mentions(value: string, lineStart: boolean): string {
  let out = '';
  let last = 0;
  for (const m of value.matchAll(MENTION)) {
    const at = m.index + m[1]!.length;
    out += escapeWiki(value.slice(last, at), lineStart && last === 0) + `[~${m[2]}]`;
    last = at + 1 + m[2]!.length;
  }
  return out + escapeWiki(value.slice(last), lineStart && last === 0);
}

// A backslash stays as typed: `\\` is Jira's line break, so one before punctuation cannot be written.
const ALWAYS = new Set(['{', '}', '[', ']', '|']);
const EDGE = new Set(['*', '_', '-', '+', '^', '~']);
const isWordChar = (c: string): boolean => /[\p{L}\p{N}]/u.test(c);
/** Emoticons the renderer turns into icons: `:)`, `(y)`, `(!)` … */
const EMOTICON = /^(?::[)(PDp]|;\)|\((?:y|n|i|\/|x|!|\+|-|\?|on|off|\*|\*[rgby]|flag|flagoff)\))/;

/** Backslash escapes wherever the wiki renderer could read markup; plain prose stays as it is. */
export function escapeWiki(value: string, lineStart: boolean, inCode = false): string {
  const chars = [...value];
  return chars.map((c, i) => {
    const prev = chars[i - 1] ?? '';
    const next = chars[i + 1] ?? '';
    const atLine = i === 0 ? lineStart : prev === '\n';
    const rest = inCode ? '' : chars.slice(i, i + 8).join('');
    if (ALWAYS.has(c)) return `\\${c}`;
    if (inCode) return EDGE.has(c) ? `\\${c}` : c;
    if (atLine && /^[*#-]/.test(c)) return `\\${c}`;
    if (c === '.' && /(?:^|\n)(?:h[1-6]|bq)$/.test((lineStart ? '' : 'x') + chars.slice(0, i).join(''))) return '\\.';
    if (c === '?' && (prev === '?' || next === '?')) return '\\?';
    if (c === '!' && next !== '' && !/\s/.test(next)) return '\\!';
    if (EMOTICON.test(rest)) return `\\${c}`;
    if (EDGE.has(c) && (!isWordChar(prev) || !isWordChar(next))) return `\\${c}`;
    return c;
  }).join('');
}
