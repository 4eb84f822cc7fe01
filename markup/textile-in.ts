import type { Element, ElementContent, Root as HastRoot, RootContent as HastContent } from 'hast';
import { fromHtml } from 'hast-util-from-html';
import { toMdast } from 'hast-util-to-mdast';
import type { Html, Nodes, Paragraph, Parents, PhrasingContent, Root } from 'mdast';
import textile from 'textile-js';
import { BLANK, settleLists } from './blocks';
import { stringifyGfm } from './gfm';
import { mentions } from './mentions';
import { mentionsToHub, type MarkupOptions } from './options';
import { offtagRegions, type OfftagRegion } from './textile-offtags';

/**
 * Textile as Redmine stores it → hub markup, read the way Redmine renders it: code regions and
 * `>` quotes as Redmine's RedCloth3 reads them (done here), the rest by textile-js into HTML, which
 * becomes mdast. Where textile-js reads Textile differently than Redmine, the difference is undone
 * here (`asRedmineReads`, `undoGlyphs`, `adaptForMdast`).
 */
export function fromTextile(source: string, options: MarkupOptions = {}): string {
  const { text, fragments } = ripOfftags(source.replace(/\r\n?/g, '\n'));
  const html = withFragments(undoGlyphs(quotesAndText(asRedmineReads(text))), fragments);
  const hast = fromHtml(html, { fragment: true });
  adaptForMdast(hast);
  const tree = settleLists(toMdast(hast) as Root);
  tagsAsHtml(tree);
  mentionsToHub(tree, mentions(options.users));
  return stringifyGfm(tree);
}

/**
 * Stands for an empty `<notextile>` after a link: to textile-js a space, which ends the URL, then a
 * non-space, after which a phrase can close. Both are taken out of its HTML.
 */
const BOUNDARY = '\uFEFF\u2060';
const fragmentMark = (n: number): string => `\uE010${n}\uE011`;

/** Sets code regions aside, as Redmine does first, and puts a mark in their place. */
function ripOfftags(source: string): { text: string; fragments: string[] } {
  const fragments: string[] = [];
  let text = '';
  let last = 0;
  for (const region of offtagRegions(source)) {
    text += source.slice(last, region.start);
    // An empty <notextile> (toTextile's word boundary) is left to textile-js, which reads it as
    // Redmine does, but after a link's URL, where textile-js would take it into the URL.
    if (region.tag === 'notextile' && region.text === '') text += /":\S+$/.test(text) ? BOUNDARY : '<notextile></notextile>';
    else text += fragmentMark(fragments.push(regionHtml(region)) - 1);
    last = region.end;
  }
  return { text: text + source.slice(last), fragments };
}

const escapeAttribute = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/**
 * The text of a code region as HTML. toTextile breaks a code tag in code with a zero-width space
 * after its `<`, and an entity-like `&…;` with one after its `&`; other entities are read decoded,
 * as toTextile wrote `<`, `&` and `|` in code before it wrote code raw (an issue it synced then
 * reads the same, E1).
 */
function regionHtml(region: OfftagRegion): string {
  const text = region.text.replace(/<\u200B(?=\/?(?:code|pre|kbd|notextile)\b)/gi, '<')
    .replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/&\u200B/g, '&amp;');
  if (region.tag === 'pre') return region.lang ? `<pre><code class="language-${escapeAttribute(region.lang)}">${text}</code></pre>` : `<pre>${text}</pre>`;
  if (region.tag === 'notextile') return text;
  return `<${region.tag}>${text}</${region.tag}>`;
}

function withFragments(html: string, fragments: string[]): string {
  const at = (n: string): string => fragments[Number(n)] ?? '';
  return html.replace(/<p>\uE010(\d+)\uE011<\/p>/g, (_, n: string) => at(n))
    .replace(/\uE010(\d+)\uE011/g, (_, n: string) => at(n))
    .replaceAll(BOUNDARY, '');
}

/** Redmine shows HTML tags other than pre, code, kbd and notextile as text. */
const asRedmineReads = (source: string): string => source.replace(/<(?=[a-z/!?])(?!\/?(?:pre|code|kbd|notextile)\b)/gi, '&lt;');

/**
 * Redmine's quotes (`block_textile_quotes`): a run of lines opening with `>` is a quote, nested one
 * level for each `>`. textile-js does not know them; each stretch of text between is its own.
 */
function quotesAndText(source: string): string {
  const lines = source.split('\n');
  let html = '';
  let chunk: string[] = [];
  const flush = () => {
    if (chunk.length) html += convert(chunk.join('\n'));
    chunk = [];
  };
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('>')) {
      chunk.push(lines[i]!);
      continue;
    }
    flush();
    const quoted: { level: number; text: string }[] = [];
    for (; i < lines.length && lines[i]!.startsWith('>'); i++) {
      const [, marks = '', text = ''] = /^([> ]+)(.*)$/.exec(lines[i]!) ?? [];
      quoted.push({ level: marks.split('>').length - 1, text });
    }
    i--;
    html += quoteHtml(quoted, 1);
  }
  flush();
  return html;
}

function quoteHtml(lines: { level: number; text: string }[], depth: number): string {
  let inner = '';
  let own: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.level <= depth) {
      own.push(lines[i]!.text);
      continue;
    }
    inner += convert(own.join('\n'));
    own = [];
    const deeper: typeof lines = [];
    for (; i < lines.length && lines[i]!.level > depth; i++) deeper.push(lines[i]!);
    i--;
    inner += quoteHtml(deeper, depth + 1);
  }
  return `<blockquote>${inner}${convert(own.join('\n'))}</blockquote>`;
}

const convert = (text: string): string => (text.trim() === '' ? '' : textile.convert(text, { breaks: true }));

/**
 * textile-js turns quotes, dashes and a few shortcuts into typography, which Redmine does not (its
 * glyph rules are switched off). It writes them as decimal entities; typography that was typed stays
 * as characters, or as the hex entities toTextile sends, so only the glyphs are turned back.
 */
const GLYPHS: Record<string, string> = {
  8216: "'", 8217: "'", 8242: "'", 8220: '"', 8221: '"', 8243: '"', 8211: '-', 8212: '--', 8230: '...',
  8594: '->', 215: 'x', 8482: '(TM)', 174: '(R)', 169: '(C)', 188: '(1/4)', 189: '(1/2)', 190: '(3/4)', 176: '(o)', 177: '(+/-)',
};
const undoGlyphs = (html: string): string => html.replace(/&#(\d+);/g, (all, code: string) => GLYPHS[code] ?? all);

const BLOCK_TAGS = new Set(['p', 'pre', 'ul', 'ol', 'blockquote', 'table', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr']);

/** Shapes the HTML tree the way hast-util-to-mdast reads it, for what textile-js writes differently. */
function adaptForMdast(node: HastRoot | Element): void {
  if (node.type === 'element' && node.tagName === 'li') node.children = itemBlocks(node.children);
  node.children = (node.children as HastContent[]).filter((c) => !(c.type === 'element' && c.tagName === 'p' && c.children.length === 0)) as typeof node.children;
  node.children.forEach((child, i) => {
    if (child.type !== 'element') return;
    const props = child.properties;
    // textile-js repeats an image's alt text as its title.
    if (child.tagName === 'img' && props.title === props.alt) delete props.title;
    if (child.tagName === 'a') balanceUrl(child, node.children[i + 1]);
    if ((child.tagName === 'td' || child.tagName === 'th') && typeof props.style === 'string') {
      const align = /text-align:\s*(left|center|right)/.exec(props.style)?.[1];
      if (align) props.align = align;
    }
    // Textile's caps and acronyms are styling only.
    if (child.tagName === 'acronym' || child.tagName === 'abbr') child.tagName = 'span';
    adaptForMdast(child);
  });
}

/**
 * Redmine keeps a URL's parentheses when they balance (`…/Foo_(bar)`); textile-js ends the URL
 * before a closing one. The `)` that follows the link goes back into it while the URL lacks it.
 */
function balanceUrl(link: Element, next: HastContent | undefined): void {
  const count = (s: string, c: string) => s.split(c).length - 1;
  let href = String(link.properties.href ?? '');
  while (next?.type === 'text' && next.value.startsWith(')') && count(href, '(') > count(href, ')')) {
    href += ')';
    next.value = next.value.slice(1);
  }
  link.properties.href = href;
}

/**
 * A list item's content as blocks: its text runs become paragraphs, a line holding only `&nbsp;`
 * is a blank line (a BLANK paragraph, see markup/blocks.ts), and Redmine's line break before a
 * code block goes.
 */
function itemBlocks(children: ElementContent[]): ElementContent[] {
  const out: ElementContent[] = [];
  let run: ElementContent[] = [];
  const paragraph = (nodes: ElementContent[]) => {
    while (nodes.length && isBreakOrSpace(nodes[0]!)) nodes.shift();
    while (nodes.length && isBreakOrSpace(nodes.at(-1)!)) nodes.pop();
    if (nodes.length) out.push({ type: 'element', tagName: 'p', properties: {}, children: nodes });
  };
  const flush = () => {
    let segment: ElementContent[] = [];
    for (const node of run) {
      if (node.type === 'text' && node.value.replace(/[^\S\u00a0]/g, '') === '\u00a0') {
        paragraph(segment);
        segment = [];
        out.push({ type: 'element', tagName: 'p', properties: {}, children: [{ type: 'text', value: BLANK }] });
      } else {
        segment.push(node);
      }
    }
    paragraph(segment);
    run = [];
  };
  for (const child of children) {
    if (child.type === 'element' && BLOCK_TAGS.has(child.tagName)) {
      flush();
      out.push(child);
    } else {
      run.push(child);
    }
  }
  flush();
  return out;
}

const isBreakOrSpace = (node: ElementContent): boolean =>
  (node.type === 'element' && node.tagName === 'br') || (node.type === 'text' && node.value.trim() === '' && !node.value.includes('\u00a0'));

const TAG = /<\/?[A-Za-z][^<>\n]*>|<!--[\s\S]*?-->/g;

/**
 * Redmine shows a tag such as `<tag>` as typed, and so does the hub when it is written unescaped
 * (inline HTML that GitHub leaves alone or drops): text that looks like a tag, or an HTML comment,
 * becomes inline HTML, so `<tag>` goes to Redmine and comes back as it was rather than as `\<tag>`.
 */
export function tagsAsHtml(node: Nodes): void {
  if (!('children' in node)) return;
  const children: Nodes[] = [];
  for (const child of node.children as Nodes[]) {
    if (child.type !== 'text' || !TAG.test(child.value)) {
      TAG.lastIndex = 0;
      tagsAsHtml(child);
      // A task's first paragraph holds its box: it stays a paragraph.
      const taskBox = node.type === 'listItem' && typeof node.checked === 'boolean' && children.length === 0;
      children.push(child.type === 'paragraph' && !taskBox ? htmlBlock(child) : child);
      continue;
    }
    TAG.lastIndex = 0;
    let last = 0;
    for (const m of child.value.matchAll(TAG)) {
      if (m.index > last) children.push({ type: 'text', value: child.value.slice(last, m.index) });
      children.push({ type: 'html', value: m[0] } satisfies PhrasingContent);
      last = m.index + m[0].length;
    }
    if (last < child.value.length) children.push({ type: 'text', value: child.value.slice(last) });
  }
  (node as Parents).children = children as Parents['children'];
}

/** Tags that open an HTML block in CommonMark wherever they stand on the line (its kind 6). */
const BLOCK_TAG = /^<\/?(?:address|article|aside|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|html|iframe|legend|li|main|menu|nav|ol|p|section|summary|table|tbody|td|tfoot|th|thead|tr|ul)(?:[\s/>]|$)/i;

/**
 * A paragraph that opens with a block tag (`<details>`), a comment, or a tag alone on its first line
 * is the HTML block the hub wrote: its text is raw HTML again.
 */
function htmlBlock(paragraph: Paragraph): Paragraph | Html {
  const [first, second] = paragraph.children;
  if (first?.type !== 'html') return paragraph;
  const alone = second === undefined || second.type === 'break' || (second.type === 'text' && second.value.startsWith('\n'));
  if (!BLOCK_TAG.test(first.value) && !first.value.startsWith('<!--') && !alone) return paragraph;
  const raw = (node: PhrasingContent): string => (node.type === 'break' ? '\n' : 'value' in node ? node.value : 'children' in node ? node.children.map(raw).join('') : '');
  return { type: 'html', value: paragraph.children.map(raw).join('') };
}
