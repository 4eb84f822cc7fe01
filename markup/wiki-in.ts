import type { BlockContent, List, ListItem, PhrasingContent, Root, TableRow } from 'mdast';
import { blankParagraph, nestedQuotesFromText, settleLists } from './blocks';
import { stringifyGfm } from './gfm';
import { mentions, type Mentions } from './mentions';
import type { MarkupOptions } from './options';
import { tagsAsHtml } from './textile-in';

/**
 * Jira wiki markup → hub markup: a line-based block parser and a recursive inline parser, the
 * reading side of toJiraWiki. Macros it does not know ({panel}, {color} …) keep their text.
 */
export function fromJiraWiki(wiki: string, options: MarkupOptions = {}): string {
  const reader: Reader = { known: mentions(options.users) };
  const tree: Root = { type: 'root', children: parseBlocks(wiki.replace(/\r\n?/g, '\n').split('\n'), reader) };
  nestedQuotesFromText(tree);
  // Jira shows a tag as typed: read it as inline HTML so `<tag>` does not come back as `\<tag>`.
  tagsAsHtml(tree);
  return stringifyGfm(settleLists(tree));
}

interface Reader { known: Mentions }

const CODE_OPEN = /^\{(code|noformat)(?::([^}|]*))?(?:\|[^}]*)?\}(.*)$/;
const LIST_LINE = /^([*#]+|-) (.*)$/;
const HEADING = /^h([1-6])\. (.*)$/;
/** A line of a list item that stands for a blank line (see markup/blocks.ts). */
const BLANK_LINE = '\\\\';

/** A code macro from `lines[i]`: its block and the index of its last line. */
function codeMacro(lines: string[], i: number): { node: BlockContent; end: number } | undefined {
  const code = CODE_OPEN.exec(lines[i]!);
  if (!code) return undefined;
  const close = `{${code[1]}}`;
  const body: string[] = [];
  let rest = code[3] ?? '';
  while (!rest.includes(close) && i + 1 < lines.length) {
    body.push(rest);
    rest = lines[++i]!;
  }
  body.push(rest.slice(0, rest.includes(close) ? rest.indexOf(close) : rest.length));
  // toJiraWiki breaks closing tags inside the body with a zero-width space.
  const joined = body.join('\n').replace(/\{(code|noformat)\u200B\}/gi, '{$1}');
  const value = body[0] === '' ? joined.replace(/^\n/, '').replace(/\n$/, '') : joined.replace(/\n$/, '');
  return { node: { type: 'code', lang: code[1] === 'code' && code[2] ? code[2] : null, meta: null, value }, end: i };
}

function parseBlocks(lines: string[], reader: Reader): BlockContent[] {
  const out: BlockContent[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push({ type: 'paragraph', children: parseInline(paragraph.join('\n'), reader) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const code = codeMacro(lines, i);
    if (code) {
      flush();
      out.push(code.node);
      i = code.end;
      continue;
    }
    if (line.trim() === '{quote}') {
      flush();
      const inner: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '{quote}'; i++) {
        // A code macro inside the quote may hold a `{quote}` line.
        const nested = codeMacro(lines, i);
        const end = nested ? nested.end : i;
        inner.push(...lines.slice(i, end + 1));
        i = end;
      }
      out.push({ type: 'blockquote', children: parseBlocks(inner, reader) });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      out.push({ type: 'heading', depth: Number(heading[1]) as 1 | 2 | 3 | 4 | 5 | 6, children: parseInline(heading[2]!, reader) });
    } else if (line.startsWith('bq. ')) {
      flush();
      out.push({ type: 'blockquote', children: [{ type: 'paragraph', children: parseInline(line.slice(4), reader) }] });
    } else if (/^-{4,}\s*$/.test(line)) {
      flush();
      out.push({ type: 'thematicBreak' });
    } else if (LIST_LINE.test(line) && paragraph.length === 0) {
      const { items, end } = listItems(lines, i);
      i = end;
      out.push(...buildLists(items, reader));
    } else if (line.startsWith('|') && paragraph.length === 0) {
      const rows: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(lines[i++]!);
      i--;
      out.push(table(rows, reader));
    } else if (line.trim() === '') {
      flush();
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return out;
}

/**
 * A list runs to an empty line. A line without a marker continues the item above it, and a code
 * macro in an item runs to its closing tag, empty lines included (as Jira reads them).
 */
function listItems(lines: string[], start: number): { items: { prefix: string; lines: string[] }[]; end: number } {
  const items: { prefix: string; lines: string[] }[] = [];
  let i = start;
  for (; i < lines.length && lines[i]!.trim() !== ''; i++) {
    const marker = LIST_LINE.exec(lines[i]!);
    if (marker) {
      // A code macro may open on the item's own line.
      const code = CODE_OPEN.test(marker[2]!) ? codeMacro([marker[2]!, ...lines.slice(i + 1)], 0) : undefined;
      const end = i + (code?.end ?? 0);
      items.push({ prefix: marker[1] === '-' ? '*' : marker[1]!, lines: [marker[2]!, ...lines.slice(i + 1, end + 1)] });
      i = end;
      continue;
    }
    const item = items.at(-1)!;
    const code = codeMacro(lines, i);
    item.lines.push(...lines.slice(i, (code?.end ?? i) + 1));
    i = code?.end ?? i;
  }
  return { items, end: i - 1 };
}

/** An item's lines as blocks: code macros, BLANK lines and paragraphs of the lines between. */
function itemBlocks(lines: string[], reader: Reader): BlockContent[] {
  const out: BlockContent[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push({ type: 'paragraph', children: parseInline(paragraph.join('\n'), reader) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const code = codeMacro(lines, i);
    if (code) {
      flush();
      out.push(code.node);
      i = code.end;
    } else if (lines[i]!.trim() === BLANK_LINE) {
      flush();
      out.push(blankParagraph());
    } else {
      paragraph.push(lines[i]!);
    }
  }
  flush();
  return out;
}

/** `*`, `#`, `#*` … prefixes into nested lists: each prefix one character longer is one level deeper. */
function buildLists(items: { prefix: string; lines: string[] }[], reader: Reader): List[] {
  const roots: List[] = [];
  const stack: { prefix: string; list: List }[] = [];
  for (const { prefix, lines } of items) {
    while (stack.length && !(prefix.startsWith(stack.at(-1)!.prefix) && prefix.length >= stack.at(-1)!.prefix.length)) stack.pop();
    let top = stack.at(-1);
    if (!top || top.prefix !== prefix) {
      const list: List = { type: 'list', ordered: prefix.endsWith('#'), start: prefix.endsWith('#') ? 1 : null, spread: false, children: [] };
      const parentItem = top?.list.children.at(-1);
      if (parentItem) parentItem.children.push(list);
      else roots.push(list);
      top = { prefix, list };
      stack.push(top);
    }
    const item: ListItem = { type: 'listItem', spread: false, checked: null, children: itemBlocks(lines, reader) };
    top.list.children.push(item);
  }
  return roots;
}

function table(lines: string[], reader: Reader): BlockContent {
  const rows: TableRow[] = lines.map((line) => ({
    type: 'tableRow',
    children: splitCells(line).map((cell) => ({ type: 'tableCell', children: parseInline(cell.trim(), reader) })),
  }));
  return { type: 'table', align: rows[0]?.children.map(() => null) ?? [], children: rows };
}

/** Cells between unescaped `|` or `||`, outside links and monospace. */
function splitCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) { cell += c + line[++i]; continue; }
    if (c === '[' || c === '{') depth++;
    if ((c === ']' || c === '}') && depth > 0) depth--;
    if (c === '|' && depth === 0) {
      if (line[i + 1] === '|') i++;
      cells.push(cell);
      cell = '';
      continue;
    }
    cell += c;
  }
  if (cell.trim() !== '') cells.push(cell);
  return cells.slice(1);
}

const PHRASE: Record<string, 'strong' | 'emphasis' | 'delete' | undefined> = { '*': 'strong', _: 'emphasis', '-': 'delete' };
const OTHER_PHRASE = new Set(['+', '^', '~']);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/** Inline wiki: escapes, `{{mono}}`, links, mentions, images and the phrase marks, plain or in braces (`{*}`). */
export function parseInline(src: string, reader: Reader = { known: mentions(undefined) }): PhrasingContent[] {
  const out: PhrasingContent[] = [];
  let text = '';
  const push = (node: PhrasingContent) => {
    if (text) out.push({ type: 'text', value: text });
    text = '';
    out.push(node);
  };
  const phrase = (mark: string, inner: PhrasingContent[]) => {
    const kind = PHRASE[mark];
    if (kind) push({ type: kind, children: inner });
    else { if (text) out.push({ type: 'text', value: text }); text = ''; out.push(...inner); }
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const rest = src.slice(i);
    if (c === '\\') {
      if (src[i + 1] === '\\') { push({ type: 'break' }); i++; continue; }
      const next = src[i + 1];
      if (next !== undefined && /[^\p{L}\p{N}\s]/u.test(next)) { text += next; i++; continue; }
      text += c;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^\{\{((?:\\.|[^}\\]|\}(?!\}))+)\}\}/.exec(rest))) {
      push({ type: 'inlineCode', value: m[1]!.replace(/\\([^\p{L}\p{N}\s])/gu, '$1') });
      i += m[0].length - 1;
    } else if ((m = /^\{([*_\-+^~])\}/.exec(rest))) {
      const close = src.indexOf(m[0], i + 3);
      if (close < 0) { text += m[0]; i += 2; continue; }
      phrase(m[1]!, parseInline(src.slice(i + 3, close), reader));
      i = close + 2;
    } else if ((m = /^\[~([^\]]+)\]/.exec(rest))) {
      text += `@${reader.known.hub(m[1]!) ?? m[1]}`;
      i += m[0].length - 1;
    } else if ((m = /^\[((?:\\.|!(?!\s)[^!\n\]]*!|[^\]\\|])*)(?:\|([^\]|]*))?(?:\|([^\]]*))?\]/.exec(rest)) && (m[2] !== undefined || /^[a-z]+:|^#|^\//i.test(m[1]!))) {
      const url = (m[2] ?? m[1]!).trim();
      const label = m[2] !== undefined ? m[1]! : '';
      const title = m[3]?.trim() || null;
      push({ type: 'link', url, title, children: label ? parseInline(label, reader) : [{ type: 'text', value: url }] });
      i += m[0].length - 1;
    } else if ((m = /^!([^\s!|]+)(?:\|([^!]*))?!/.exec(rest))) {
      const alt = /(?:^|,)\s*alt=([^,]*)/.exec(m[2] ?? '')?.[1]?.trim() ?? null;
      push({ type: 'image', url: m[1]!, alt, title: null });
      i += m[0].length - 1;
    } else if ((PHRASE[c] || OTHER_PHRASE.has(c)) && !isWordChar(src[i - 1]) && src[i + 1] !== undefined && !/\s/.test(src[i + 1]!)) {
      const close = findClose(src, i + 1, c);
      if (close < 0) { text += c; continue; }
      phrase(c, parseInline(src.slice(i + 1, close), reader));
      i = close;
    } else {
      text += c;
    }
  }
  if (text) out.push({ type: 'text', value: text });
  return out;
}

/** The closing mark: after a non-space, not before a word character, not escaped. */
function findClose(src: string, from: number, mark: string): number {
  for (let j = from + 1; j < src.length; j++) {
    if (src[j] === '\\') { j++; continue; }
    if (src[j] === '\n' && src[j + 1] === '\n') return -1;
    if (src[j] === mark && !/\s/.test(src[j - 1]!) && !isWordChar(src[j + 1])) return j;
  }
  return -1;
}
