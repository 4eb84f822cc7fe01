import type { List, Nodes, PhrasingContent, RootContent, Table } from 'mdast';
import { itemBlankLines, nestedQuotesAsText } from './blocks';
import { parseGfm } from './gfm';
import { mentions, splitMentions, type Mentions } from './mentions';
import type { MarkupOptions } from './options';
import { inlineReferences } from './references';

/**
 * Hub markup → Jira wiki markup (Jira Data Center, REST v2). A compiler over the mdast tree; text is
 * escaped with backslashes wherever the wiki renderer could read markup, and `@name` becomes the
 * wiki mention `[~username]` for the people in the user map.
 */
export function toJiraWiki(md: string, options: MarkupOptions = {}): string {
  const tree = inlineReferences(parseGfm(md));
  nestedQuotesAsText(tree);
  return blocks(tree.children, { known: mentions(options.users) });
}

interface Writer { known: Mentions; inLink?: boolean }

/** A line that renders empty in a list item: wiki lists have no blank line (see markup/blocks.ts). */
const BLANK_LINE = '\\\\';
/** Breaks a macro's closing tag inside a code body without showing anything (see `codeBlock`). */
const ZWSP = '\u200B';

const blocks = (nodes: RootContent[], w: Writer): string => nodes.map((n) => block(n, w)).filter((b) => b !== '').join('\n\n');

function block(node: RootContent, w: Writer): string {
  switch (node.type) {
    case 'paragraph': return inline(node.children, w);
    case 'heading': return `h${node.depth}. ${inline(node.children, w)}`;
    case 'thematicBreak': return '----';
    case 'blockquote': return `{quote}\n${blocks(node.children, w)}\n{quote}`;
    case 'list': return listLines(node, '', w).join('\n');
    case 'code': return codeBlock(node.value, node.lang);
    case 'table': return table(node, w);
    case 'html': return escapeWiki(node.value, true);
    default: return 'children' in node ? blocks(node.children as RootContent[], w) : '';
  }
}

/**
 * A code body ends at the first `{code}` (or `{noformat}`), and Jira has no escape inside it. Code
 * that holds `{code}` goes in `{noformat}` when it can; otherwise its closing tags get a zero-width
 * space after the name, which Jira does not show and fromJiraWiki takes out.
 */
function codeBlock(value: string, lang: string | null | undefined): string {
  const hasCode = /\{code\}/i.test(value);
  const hasNoformat = /\{noformat\}/i.test(value);
  if (hasCode && !hasNoformat && !lang) return `{noformat}\n${value}\n{noformat}`;
  // An empty body is written without an empty line, which would end a list around it.
  const body = value.replace(/\{(code)\}/gi, `{$1${ZWSP}}`);
  return `{code${lang ? `:${lang.replace(/[|}]/g, '')}` : ''}}\n${body}${body ? '\n' : ''}{code}`;
}

/**
 * Jira lists are one line an item (`*`, `#`, `#*` …); the item's other blocks follow on the next
 * lines, which Jira keeps in the item, and blank lines of a spread item or list are BLANK_LINE.
 */
function listLines(list: List, prefix: string, w: Writer): string[] {
  const marker = prefix + (list.ordered ? '#' : '*');
  return list.children.flatMap((item, i) => {
    const { between, after } = itemBlankLines(list, i);
    const lines: string[] = [];
    item.children.forEach((child, c) => {
      if (c > 0 && between) lines.push(BLANK_LINE);
      if (child.type === 'list') lines.push(...listLines(child, marker, w));
      else lines.push(...itemBlock(child, w).split('\n'));
    });
    // Jira has no task lists; the box is written as text and read back as a task (see fromJiraWiki).
    const box = item.checked === true ? '\\[x\\] ' : item.checked === false ? '\\[ \\] ' : '';
    if (lines.length === 0 || item.children[0]?.type === 'list') lines.unshift('');
    lines[0] = `${marker} ${box}${lines[0]}`;
    return after ? [...lines, BLANK_LINE] : lines;
  });
}

function itemBlock(node: Nodes, w: Writer): string {
  if (node.type === 'paragraph' || node.type === 'heading') return inline(node.children, w);
  if (node.type === 'code') return codeBlock(node.value, node.lang);
  if (node.type === 'html') return escapeWiki(node.value, true);
  // A quote or a table in a list item: its paragraphs stay, the form does not.
  if ('children' in node) return (node.children as Nodes[]).map((c) => itemBlock(c, w)).filter((t) => t !== '').join('\n');
  return '';
}

function table(node: Table, w: Writer): string {
  return node.children.map((row, r) => {
    const sep = r === 0 ? '||' : '|';
    return `${sep}${row.children.map((cell) => inline(cell.children, w) || ' ').join(sep)}${sep}`;
  }).join('\n');
}

function inline(nodes: PhrasingContent[], w: Writer): string {
  let out = '';
  nodes.forEach((node, i) => {
    const next = nodes[i + 1];
    const after = next?.type === 'text' ? next.value.charAt(0) : next ? 'x' : '';
    out += phrasing(node, out, after, w);
  });
  return out;
}

const PHRASES: Partial<Record<PhrasingContent['type'], string>> = { emphasis: '_', strong: '*', delete: '-' };

function phrasing(node: PhrasingContent, before: string, after: string, w: Writer): string {
  const lineStart = before === '' || before.endsWith('\n');
  switch (node.type) {
    case 'text': return text(node.value, lineStart, w);
    case 'emphasis': case 'strong': case 'delete': {
      const d = PHRASES[node.type]!;
      // Inside a word Jira reads a phrase mark only in braces: `foo{*}bar{*}baz`.
      const mark = isWordChar(before.slice(-1)) || isWordChar(after) ? `{${d}}` : d;
      return `${mark}${inline(node.children, w)}${mark}`;
    }
    case 'inlineCode': return `{{${escapeWiki(node.value, false, true)}}}`;
    case 'break': return '\n';
    case 'link': {
      const only = node.children.length === 1 ? node.children[0] : undefined;
      const label = only?.type === 'image' ? image(only.url, only.alt) : inline(node.children, { ...w, inLink: true });
      const title = node.title ? `|${node.title.replace(/[|\]]/g, ' ')}` : '';
      return label && (label !== escapeWiki(node.url, false) || title) ? `[${label}|${node.url}${title}]` : `[${node.url}]`;
    }
    case 'image': return image(node.url, node.alt);
    case 'html': return escapeWiki(node.value, lineStart);
    case 'footnoteReference': return escapeWiki(`[^${node.label ?? node.identifier}]`, lineStart);
    default: return 'children' in node ? inline(node.children as PhrasingContent[], w) : '';
  }
}

const image = (url: string, alt: string | null | undefined): string => `!${url}${alt ? `|alt=${alt.replace(/[,!|]/g, ' ')}` : ''}!`;

/** Mentions of people in the user map become `[~username]`; a mention is a link of its own, so not inside a link's text. */
function text(value: string, lineStart: boolean, w: Writer): string {
  if (w.inLink) return escapeWiki(value, lineStart);
  let out = '';
  for (const part of splitMentions(value, w.known)) {
    out += 'remote' in part ? `[~${part.remote}]` : escapeWiki(part.text, lineStart && out === '');
  }
  return out;
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
    // Jira reads HTML entities (`&nbsp;`, `&copy;`) in text.
    if (c === '&' && /^&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);/i.test(rest + chars.slice(i + 8, i + 40).join(''))) return '\\&';
    if (EMOTICON.test(rest)) return `\\${c}`;
    if (EDGE.has(c) && (!isWordChar(prev) || !isWordChar(next))) return `\\${c}`;
    return c;
  }).join('');
}
