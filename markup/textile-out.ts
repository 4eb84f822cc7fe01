import type { AlignType, Blockquote, List, Nodes, PhrasingContent, RootContent, Table } from 'mdast';
import { itemBlankLines } from './blocks';
import { parseGfm } from './gfm';
import { mentions, splitMentions, type Mentions } from './mentions';
import type { MarkupOptions } from './options';
import { inlineReferences } from './references';
import { preservesCode } from './textile-offtags';

/**
 * Hub markup → Textile as Redmine renders it (RedCloth3 with hard breaks, no glyphs, HTML limited to
 * pre, code, kbd and notextile). A compiler over the mdast tree; text is escaped with HTML entities
 * wherever Textile could read it as markup, and nowhere else, so plain prose stays plain.
 */
export function toTextile(md: string, options: MarkupOptions = {}): string {
  const tree = inlineReferences(parseGfm(md));
  const w: Writer = { known: mentions(options.users) };
  // Code keeps its newlines as CODE_NEWLINE until the end, so that quote and list prefixes skip its lines.
  return blocks(tree.children, w).replaceAll(CODE_NEWLINE, '\n');
}

interface Writer { known: Mentions; inLink?: boolean; phrases?: string }

/** Redmine reads `<pre>` before anything else: the lines of a code block must not take a quote's `>`. */
const CODE_NEWLINE = '\uE001';
/** An empty `<notextile>` ends a word for Textile's phrase rules without showing anything. */
const BOUNDARY = '<notextile></notextile>';
/** A line that renders empty in a list item: Textile lists have no blank line (see markup/blocks.ts). */
const BLANK_LINE = '&nbsp;';

const blocks = (nodes: RootContent[], w: Writer): string => nodes.map((n) => block(n, w)).filter((b) => b !== '').join('\n\n');

function block(node: RootContent, w: Writer): string {
  switch (node.type) {
    case 'paragraph': return inline(node.children, w);
    case 'heading': return `h${node.depth}. ${inline(node.children, w)}`;
    case 'thematicBreak': return '---';
    case 'blockquote': return quote(node, 1, w);
    case 'list': return listLines(node, '', w).join('\n');
    case 'code': return codeBlock(node.value, node.lang);
    case 'table': return table(node, w);
    // Redmine shows HTML other than its four tags as text, so raw HTML travels as what it says.
    case 'html': return escapeText(node.value, { start: true });
    default: return 'children' in node ? blocks(node.children as RootContent[], w) : '';
  }
}

/**
 * Redmine's own quote form (what its Quote button writes): lines opening with `>`, one more for each
 * level, so quotes nest and hold lists and code. A code block's later lines are not prefixed.
 */
function quote(node: Blockquote, depth: number, w: Writer): string {
  const prefix = '>'.repeat(depth);
  return node.children.map((child) => (child.type === 'blockquote'
    ? quote(child, depth + 1, w)
    : block(child, w).split('\n').map((line) => `${prefix} ${line}`).join('\n'))).join(`\n${prefix}\n`);
}

/**
 * Raw code in `<pre>`: Redmine shows its text as stored, entities included, so nothing is escaped.
 * A code tag inside (`<pre>`, `</code>`, `<notextile>` …) that Redmine would read as its own, or an
 * entity-like `&amp;`, gets a zero-width space after its `<` or `&`, which Redmine does not show and
 * fromTextile takes out.
 */
function codeBlock(value: string, lang: string | null | undefined): string {
  const [open, close] = lang ? [`<pre><code class="${lang.replace(/[^\w+#.-]/g, '')}">`, '</code></pre>'] : ['<pre>', '</pre>'];
  return `${open}${safeCode(open, value, close)}${close}`.replaceAll('\n', CODE_NEWLINE);
}

function safeCode(open: string, value: string, close: string): string {
  // fromTextile reads entities in code decoded (see regionHtml there): a literal one keeps its text.
  const text = value.replace(/&(?=#?[a-z0-9]+;)/gi, '&\u200B');
  return preservesCode(open, text, close) ? text : text.replace(/<(?=\/?(?:code|pre|kbd|notextile)\b)/gi, '<\u200B');
}

/**
 * One line per item, `*` and `#` repeated for depth. An item's other blocks follow on the next lines
 * (Redmine keeps them in the item), and blank lines of a spread item or list are BLANK_LINE.
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
    const box = item.checked === true ? '[x] ' : item.checked === false ? '[ ] ' : '';
    if (lines.length === 0 || item.children[0]?.type === 'list') lines.unshift('');
    lines[0] = `${marker} ${box}${lines[0]}`;
    return after ? [...lines, BLANK_LINE] : lines;
  });
}

function itemBlock(node: Nodes, w: Writer): string {
  if (node.type === 'paragraph' || node.type === 'heading') return inline(node.children, w);
  if (node.type === 'code') return codeBlock(node.value, node.lang);
  if (node.type === 'html') return escapeText(node.value, { start: true });
  // A quote or a table in a list item: its paragraphs stay, the form does not.
  if ('children' in node) return (node.children as Nodes[]).map((c) => itemBlock(c, w)).filter((t) => t !== '').join('\n');
  return '';
}

const ALIGN: Record<Exclude<AlignType, null | undefined>, string> = { left: '<. ', center: '=. ', right: '>. ' };

function table(node: Table, w: Writer): string {
  return node.children.map((row, r) => {
    const cells = row.children.map((cell, c) => {
      const align = node.align?.[c];
      const attrs = (r === 0 ? '_' : '') + (align ? ALIGN[align] : r === 0 ? '. ' : '');
      return `|${attrs}${inline(cell.children, w)}`;
    });
    return `${cells.join('')}|`;
  }).join('\n');
}

/** The phrase delimiters Textile reads at a word boundary. */
const PHRASES: Partial<Record<PhrasingContent['type'], string>> = { emphasis: '_', strong: '*', delete: '-' };

/** `outerAfter` is what follows the run: the closing mark of the phrase it is in, then what follows that. */
function inline(nodes: PhrasingContent[], w: Writer, outerBefore = '', outerAfter = ''): string {
  let out = '';
  nodes.forEach((node, i) => {
    const next = nodes[i + 1];
    const after = next?.type === 'text' ? next.value : next ? 'x' : outerAfter;
    out += phrasing(node, outerBefore + out, after, w);
  });
  return out;
}

const isWordChar = (c: string): boolean => /[\p{L}\p{N}]/u.test(c);
/** Redmine reads a phrase only after a line start, a space, `>` or `(`, and before punctuation, a space, `<` or the end. */
const opensPhrase = (before: string): boolean => before === '' || /[\s>(]$/.test(before);
const closesPhrase = (after: string): boolean => after === '' || /^[\s\p{P}<)]/u.test(after);
/** Redmine reads a link's URL up to a space or the end, with trailing punctuation outside it. */
const endsUrl = (after: string): boolean => /^[^\p{L}\p{N}_=/;\-\s]*(?:\s|$)/u.test(after);

function phrasing(node: PhrasingContent, before: string, after: string, w: Writer): string {
  switch (node.type) {
    case 'text': return text(node.value, before, after, w);
    case 'emphasis': case 'strong': case 'delete': {
      const d = PHRASES[node.type]!;
      // Textile cannot nest a phrase in one of its own kind: the inner one is text.
      if (w.phrases?.includes(d)) return inline(node.children, w, before, after);
      const body = `${d}${inline(node.children, { ...w, phrases: (w.phrases ?? '') + d }, d, d + after)}${d}`;
      // `*.` opening a line is a list item with a class to textile-js.
      const listLike = d === '*' && body[1] === '.' && (before === '' || before.endsWith('\n'));
      return opensPhrase(before) && closesPhrase(after) && !listLike ? body : `${BOUNDARY}${body}${BOUNDARY}`;
    }
    case 'inlineCode': {
      if (SAFE_CODE.test(node.value) && opensPhrase(before) && /^(?:[\s.,;:!?)]|$)/.test(after)) return `@${node.value}@`;
      return `<code>${safeCode('<code>', node.value, '</code>')}</code>`;
    }
    case 'break': return '\n';
    case 'link': return link(node, before, after, w);
    case 'image': return (/(?:^|[\s>])$/.test(before) ? '' : BOUNDARY) + image(node.url, node.alt) + (/^(?:[\s<]|$)/.test(after) ? '' : BOUNDARY);
    case 'html': return escapeText(node.value, { before: before.slice(-1), after: after.charAt(0) });
    case 'footnoteReference': return escapeText(`[^${node.label ?? node.identifier}]`, {});
    default: return 'children' in node ? inline(node.children as PhrasingContent[], w) : '';
  }
}

const image = (url: string, alt: string | null | undefined): string => `!${url}${alt ? `(${escapeText(alt, {})})` : ''}!`;

function link(node: Extract<PhrasingContent, { type: 'link' }>, before: string, after: string, w: Writer): string {
  const only = node.children.length === 1 ? node.children[0] : undefined;
  // A linked image is Textile's `!src(alt)!:url`.
  if (only?.type === 'image' && !node.title) {
    return (/(?:^|[\s>])$/.test(before) ? '' : BOUNDARY) + `${image(only.url, only.alt)}:${node.url}` + (/^(?:\s|$)/.test(after) ? '' : BOUNDARY);
  }
  // A mention is a link of its own, so inside a link's text `@name` stays text.
  // Redmine reads phrases before links, so one opening the link's text needs a word boundary after the `"`.
  const body = node.children.length ? inline(node.children, { ...w, inLink: true }, '"', '":') : escapeText(node.url, {});
  // A first character Textile reads as attributes (`(class)`, `.`), and a last `)` it reads as a title, are entities.
  const text = body.replace(/^[.(=]/, entity).replace(/\)$/, entity);
  const title = node.title ? `(${escapeText(node.title, {})})` : '';
  const open = before === '' || /[\s([{>]$/.test(before) ? '' : BOUNDARY;
  return `${open}"${text}${title}":${node.url}${endsUrl(after) ? '' : BOUNDARY}`;
}

function text(value: string, before: string, after: string, w: Writer): string {
  let out = '';
  const parts = w.inLink ? [{ text: value }] : splitMentions(value, w.known);
  parts.forEach((part, i) => {
    const prev = (before + out).slice(-1);
    if ('remote' in part) out += `@${part.remote}`;
    else {
      const next = i < parts.length - 1 ? '@' : after.charAt(0);
      out += escapeText(part.text, { start: before + out === '' || (before + out).endsWith('\n'), before: prev, after: next });
    }
  });
  return out;
}

/** Inline code that `@…@` carries as it is: no markup characters, no edge spaces. */
const SAFE_CODE = /^[\p{L}\p{N}](?:[\p{L}\p{N} .,:/=#()-]*[\p{L}\p{N})])?$/u;

const entity = (c: string): string => `&#${c.codePointAt(0)};`;

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
    const rest = chars.slice(i, i + 12).join('');
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
