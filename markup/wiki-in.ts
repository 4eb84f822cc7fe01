import type { BlockContent, List, ListItem, PhrasingContent, Root, TableRow } from 'mdast';
import { stringifyGfm } from './gfm';
import { tagsAsHtml, tightTaskLists } from './textile-in';

/**
 * Jira wiki markup → hub markup: a line-based block parser and a recursive inline parser, the
 * reading side of toJiraWiki. Macros it does not know ({panel}, {color} …) keep their text.
 */
export function fromJiraWiki(wiki: string): string {
  const tree: Root = { type: 'root', children: parseBlocks(wiki.replace(/\r\n?/g, '\n').split('\n')) };
  // Jira shows a tag as typed: read it as inline HTML so `<tag>` does not come back as `\<tag>`.
  tagsAsHtml(tree);
  return stringifyGfm(tightTaskLists(tree));
}

const CODE_OPEN = /^\{(code|noformat)(?::([^}|]*))?(?:\|[^}]*)?\}(.*)$/;
const LIST_LINE = /^([*#]+|-) (.*)$/;
const HEADING = /^h([1-6])\. (.*)$/;

function parseBlocks(lines: string[]): BlockContent[] {
  const out: BlockContent[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push({ type: 'paragraph', children: parseInline(paragraph.join('\n')) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const code = CODE_OPEN.exec(line);
    if (code) {
      flush();
      const end = `{${code[1]}}`;
      const body: string[] = [];
      let rest = code[3] ?? '';
      while (!rest.includes(end) && i + 1 < lines.length) {
        body.push(rest);
        rest = lines[++i]!;
      }
      body.push(rest.slice(0, rest.includes(end) ? rest.indexOf(end) : rest.length));
      const value = body.join('\n').replace(/^\n/, '').replace(/\n$/, '');
      out.push({ type: 'code', lang: code[1] === 'code' && code[2] ? code[2] : null, meta: null, value: body[0] === '' ? value : body.join('\n').replace(/\n$/, '') });
      continue;
    }
    if (line.trim() === '{quote}') {
      flush();
      const inner: string[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== '{quote}') inner.push(lines[++i]!);
      i++;
      out.push({ type: 'blockquote', children: parseBlocks(inner) });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      out.push({ type: 'heading', depth: Number(heading[1]) as 1 | 2 | 3 | 4 | 5 | 6, children: parseInline(heading[2]!) });
    } else if (line.startsWith('bq. ')) {
      flush();
      out.push({ type: 'blockquote', children: [{ type: 'paragraph', children: parseInline(line.slice(4)) }] });
    } else if (/^-{4,}\s*$/.test(line)) {
      flush();
      out.push({ type: 'thematicBreak' });
    } else if (LIST_LINE.test(line) && paragraph.length === 0) {
      const items: string[] = [];
      while (i < lines.length && LIST_LINE.test(lines[i]!)) items.push(lines[i++]!);
      i--;
      out.push(...buildLists(items));
    } else if (line.startsWith('|') && paragraph.length === 0) {
      const rows: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) rows.push(lines[i++]!);
      i--;
      out.push(table(rows));
    } else if (line.trim() === '') {
      flush();
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return out;
}

/** `*`, `#`, `#*` … prefixes into nested lists: each prefix one character longer is one level deeper. */
function buildLists(lines: string[]): List[] {
  const roots: List[] = [];
  const stack: { prefix: string; list: List }[] = [];
  for (const line of lines) {
    const [, rawPrefix, text] = LIST_LINE.exec(line)!;
    const prefix = rawPrefix === '-' ? '*' : rawPrefix!;
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
    const item: ListItem = { type: 'listItem', spread: false, checked: null, children: [{ type: 'paragraph', children: parseInline(text!) }] };
    top.list.children.push(item);
  }
  return roots;
}

function table(lines: string[]): BlockContent {
  const rows: TableRow[] = lines.map((line) => ({
    type: 'tableRow',
    children: splitCells(line).map((cell) => ({ type: 'tableCell', children: parseInline(cell.trim()) })),
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

/** Inline wiki: escapes, `{{mono}}`, links, mentions, images and the phrase marks. */
export function parseInline(src: string): PhrasingContent[] {
  const out: PhrasingContent[] = [];
  let text = '';
  const push = (node: PhrasingContent) => {
    if (text) out.push({ type: 'text', value: text });
    text = '';
    out.push(node);
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
    } else if ((m = /^\[~([^\]]+)\]/.exec(rest))) {
      text += `@${m[1]}`;
      i += m[0].length - 1;
    } else if ((m = /^\[((?:\\.|[^\]\\|])*)(?:\|([^\]]*))?\]/.exec(rest)) && (m[2] !== undefined || /^[a-z]+:|^#|^\//i.test(m[1]!))) {
      const url = (m[2] ?? m[1]!).trim();
      const label = m[2] !== undefined ? m[1]! : '';
      push({ type: 'link', url, title: null, children: label ? parseInline(label) : [{ type: 'text', value: url }] });
      i += m[0].length - 1;
    } else if ((m = /^!([^\s!|]+)(?:\|([^!]*))?!/.exec(rest))) {
      const alt = /(?:^|,)\s*alt=([^,]*)/.exec(m[2] ?? '')?.[1]?.trim() ?? null;
      push({ type: 'image', url: m[1]!, alt, title: null });
      i += m[0].length - 1;
    } else if ((PHRASE[c] || OTHER_PHRASE.has(c)) && !isWordChar(src[i - 1]) && src[i + 1] !== undefined && !/\s/.test(src[i + 1]!)) {
      const close = findClose(src, i + 1, c);
      if (close < 0) { text += c; continue; }
      const inner = parseInline(src.slice(i + 1, close));
      const kind = PHRASE[c];
      if (kind) push({ type: kind, children: inner });
      else { if (text) out.push({ type: 'text', value: text }); text = ''; out.push(...inner); }
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
