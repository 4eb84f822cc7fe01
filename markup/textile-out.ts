import type { AlignType, Blockquote, List, ListItem, Nodes, PhrasingContent, RootContent, Table } from 'mdast';
import { parseGfm } from './gfm';
import { inlineReferences } from './references';

/**
 * Hub markup → Textile as Redmine renders it (RedCloth3 with hard breaks, no glyphs, HTML limited to
 * pre, code, kbd and notextile). A compiler over the mdast tree; text is escaped with HTML entities
 * wherever Textile could read it as markup, and nowhere else, so plain prose stays plain.
 */
export function toTextile(md: string): string {
  const tree = inlineReferences(parseGfm(md));
  return blocks(tree.children as RootContent[]);
}

function blocks(nodes: RootContent[]): string {
  return nodes.map((node, i) => {
    // A paragraph after an extended quote (`bq..`) needs its `p.` to end the quote.
    const afterQuote = nodes[i - 1]?.type === 'blockquote' && quoteParagraphs(nodes[i - 1] as Blockquote).length > 1;
    return (afterQuote && node.type === 'paragraph' ? 'p. ' : '') + block(node, nodes[i + 1]);
  }).filter((b) => b !== '').join('\n\n');
}

function block(node: RootContent, next?: RootContent): string {
  switch (node.type) {
    case 'paragraph': return inline(node.children);
    case 'heading': return `h${node.depth}. ${inline(node.children)}`;
    case 'thematicBreak': return '---';
    case 'blockquote': return blockquote(node, next === undefined || next.type === 'paragraph');
    case 'list': return listLines(node, '').join('\n');
    case 'code': return node.lang
      ? `<pre><code class="${escapeAttribute(node.lang)}">${escapeHtml(node.value)}</code></pre>`
      : `<pre>${escapeHtml(node.value)}</pre>`;
    case 'table': return table(node);
    // Redmine shows HTML other than its four tags as text, so raw HTML travels as what it says.
    case 'html': return escapeText(node.value, { start: true });
    default: return 'children' in node ? blocks(node.children as RootContent[]) : '';
  }
}

/**
 * `bq.` holds one paragraph; `bq..` holds several and runs to the next block with a signature, so a
 * paragraph after it gets an explicit `p.` (any other block, an empty one). Nested quotes and lists inside a quote are flattened.
 */
function blockquote(node: Blockquote, ended: boolean): string {
  const paragraphs = quoteParagraphs(node);
  if (paragraphs.length <= 1) return `bq. ${paragraphs[0] ?? ''}`;
  return `bq.. ${paragraphs.join('\n\n')}${ended ? '' : '\n\np. '}`;
}

const quoteParagraphs = (node: Blockquote): string[] => node.children.flatMap(flattenToParagraphs);

function flattenToParagraphs(node: Nodes): string[] {
  if (node.type === 'paragraph' || node.type === 'heading') return [inline(node.children)];
  if (node.type === 'code') return [escapeText(node.value, { start: true })];
  if ('children' in node) return (node.children as Nodes[]).flatMap(flattenToParagraphs);
  return [];
}

/** One line per item, `*` and `#` repeated for depth; an item's extra paragraphs join its line. */
function listLines(list: List, prefix: string): string[] {
  const marker = prefix + (list.ordered ? '#' : '*');
  return list.children.flatMap((item: ListItem) => {
    const nested = item.children.filter((c): c is List => c.type === 'list');
    const text = item.children.filter((c) => c.type !== 'list').flatMap(flattenToParagraphs).join('\n');
    const box = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
    return [`${marker} ${box}${text}`, ...nested.flatMap((n) => listLines(n, marker))];
  });
}

const ALIGN: Record<Exclude<AlignType, null | undefined>, string> = { left: '<. ', center: '=. ', right: '>. ' };

function table(node: Table): string {
  return node.children.map((row, r) => {
    const cells = row.children.map((cell, c) => {
      const align = node.align?.[c];
      const attrs = (r === 0 ? '_' : '') + (align ? ALIGN[align] : r === 0 ? '. ' : '');
      return `|${attrs}${inline(cell.children)}`;
    });
    return `${cells.join('')}|`;
  }).join('\n');
}

/** The phrase delimiters Textile reads at a word boundary. */
const PHRASES: Partial<Record<PhrasingContent['type'], string>> = { emphasis: '_', strong: '*', delete: '-' };

function inline(nodes: PhrasingContent[]): string {
  let out = '';
  nodes.forEach((node, i) => {
    const next = nodes[i + 1];
    const nextChar = next?.type === 'text' ? next.value.charAt(0) : next ? 'x' : '';
    out += phrasing(node, out, nextChar);
  });
  return out;
}

const isWordChar = (c: string): boolean => /[\p{L}\p{N}]/u.test(c);

function phrasing(node: PhrasingContent, before: string, nextChar: string): string {
  // Inside a word a phrase needs brackets, or Textile would not see it.
  const fenced = isWordChar(before.slice(-1)) || isWordChar(nextChar) || /^[^\s.,;:!?)\]]/.test(nextChar);
  const wrap = (open: string, body: string, close: string) => (fenced ? `[${open}${body}${close}]` : `${open}${body}${close}`);
  switch (node.type) {
    case 'text': return escapeText(node.value, { start: before === '' || before.endsWith('\n'), before: before.slice(-1), after: nextChar });
    case 'emphasis': case 'strong': case 'delete': {
      const d = PHRASES[node.type]!;
      return wrap(d, inline(node.children), d);
    }
    case 'inlineCode': return SAFE_CODE.test(node.value) && !fenced ? `@${node.value}@` : `<code>${escapeHtml(node.value).replace(/[|{[]/g, entity)}</code>`;
    case 'break': return '\n';
    case 'link': {
      // A link's text may open with Textile attributes (`"(class)…`, `".…`): such a first character is an entity.
      const text = (node.children.length ? inline(node.children) : escapeText(node.url, {})).replace(/^[.(=]/, entity);
      const title = node.title ? `(${escapeText(node.title, {})})` : '';
      return wrap('"', `${text}${title}`, `":${node.url}`);
    }
    case 'image': return `!${node.url}${node.alt ? `(${escapeText(node.alt, {})})` : ''}!`;
    case 'html': return escapeText(node.value, { before: before.slice(-1), after: nextChar });
    case 'footnoteReference': return escapeText(`[^${node.label ?? node.identifier}]`, {});
    default: return 'children' in node ? inline(node.children as PhrasingContent[]) : '';
  }
}

/** Inline code that `@…@` carries as it is: no markup characters, no edge spaces. */
const SAFE_CODE = /^[\p{L}\p{N}](?:[\p{L}\p{N} .,:/=#()-]*[\p{L}\p{N})])?$/u;

const entity = (c: string): string => `&#${c.codePointAt(0)};`;
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (s: string): string => escapeHtml(s).replace(/"/g, '&quot;');

/** Characters a Textile parser turns into typography: sent as hex entities so they read back as typed. */
const TYPOGRAPHY = /[‘’“”–—…→×″′™®©¼½¾°±]/;
/** Openers and closers of phrases (and of `!image!`, `"link":`), when they stand at a word's edge. */
const EDGE_MARKS = new Set(['*', '_', '-', '+', '^', '~', '%', '!', '"', '@']);
/** Glyph shortcuts Textile expands: `(c)`, `[tm]`, `(1/2)` … */
const GLYPH_BRACKET = /^[([](?:c|r|tm|1\/4|1\/2|3\/4|o|\+\/-)[)\]]/i;
/** Block signatures at a line's start: `h1.`, `bq.`, `p(class).` … */
const SIGNATURE = /^(?:h[1-6]|bq|bc|p|pre|fn\d+|notextile|table|dl|div|###)(?:[.([{<>=~]|\s*\.)/;

interface TextContext { start?: boolean; before?: string; after?: string }

/** Escapes a text node for Textile: entities where Textile could read markup, the rest as is. */
export function escapeText(value: string, ctx: TextContext): string {
  let out = '';
  const chars = [...value];
  chars.forEach((c, i) => {
    const prev = i === 0 ? (ctx.before ?? '') : chars[i - 1]!;
    const next = i === chars.length - 1 ? (ctx.after ?? '') : chars[i + 1]!;
    const lineStart = i === 0 ? ctx.start === true : prev === '\n';
    const rest = chars.slice(i).join('');
    if (c === '&') out += '&amp;';
    else if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '|' || c === '{' || c === '[') out += entity(c);
    else if (TYPOGRAPHY.test(c)) out += `&#x${c.codePointAt(0)!.toString(16)};`;
    else if (lineStart && (/^[*#;:=-]/.test(c) || SIGNATURE.test(rest))) out += entity(c);
    else if (c === '(' && (GLYPH_BRACKET.test(rest) || /[\p{Lu}\p{N}]/u.test(prev))) out += entity(c);
    else if (c === '=' && next === '=' || c === '?' && next === '?') out += entity(c);
    else if (c === '@' && !opensCode(chars, i)) out += c;
    else if (EDGE_MARKS.has(c) && atEdge(prev, next)) out += entity(c);
    else out += c;
  });
  return out;
}

/** A mark can open or close a phrase: a word or space on one side and not the same on the other. */
function atEdge(prev: string, next: string): boolean {
  const word = (c: string) => c !== '' && !/\s/.test(c);
  const opens = !isWordChar(prev) && word(next);
  const closes = word(prev) && !isWordChar(next);
  return opens || closes;
}

/** `@name` is a mention unless a later `@` after a non-space could close it as code. */
function opensCode(chars: string[], i: number): boolean {
  for (let j = i + 1; j < chars.length; j++) if (chars[j] === '@' && !/\s/.test(chars[j - 1]!)) return true;
  return false;
}
