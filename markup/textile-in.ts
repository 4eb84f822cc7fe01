import type { Element, Root as HastRoot, RootContent as HastContent } from 'hast';
import { fromHtml } from 'hast-util-from-html';
import { toMdast } from 'hast-util-to-mdast';
import type { Nodes, Parents, PhrasingContent, Root } from 'mdast';
import textile from 'textile-js';
import { stringifyGfm } from './gfm';

/**
 * Textile as Redmine stores it → hub markup. textile-js parses it to HTML; the HTML tree becomes
 * mdast and is printed as hub markup. Where textile-js reads Textile differently than Redmine
 * renders it, the difference is undone here (see `asRedmineReads` and `undoGlyphs`).
 */
export function fromTextile(source: string): string {
  const html = undoGlyphs(textile.convert(asRedmineReads(source.replace(/\r\n?/g, '\n')), { breaks: true }));
  const hast = fromHtml(html, { fragment: true });
  adaptForMdast(hast);
  const tree = tightTaskLists(toMdast(hast) as Root);
  tagsAsHtml(tree);
  return stringifyGfm(tree);
}

/** Redmine shows HTML tags other than pre, code, kbd and notextile as text. */
const asRedmineReads = (source: string): string => source.replace(/<(?=[a-z/!?])(?!\/?(?:pre|code|kbd|notextile)\b)/gi, '&lt;');

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

/** Shapes the HTML tree the way hast-util-to-mdast reads it, for what textile-js writes differently. */
function adaptForMdast(node: HastRoot | Element): void {
  for (const child of node.children as HastContent[]) {
    if (child.type !== 'element') continue;
    const props = child.properties;
    // Redmine's code blocks are <pre><code class="ruby">; mdast reads the language from language-ruby.
    if (child.tagName === 'code' && node.type === 'element' && node.tagName === 'pre' && Array.isArray(props.className)) {
      props.className = props.className.map((c) => `language-${String(c)}`);
    }
    // textile-js repeats an image's alt text as its title.
    if (child.tagName === 'img' && props.title === props.alt) delete props.title;
    if ((child.tagName === 'td' || child.tagName === 'th') && typeof props.style === 'string') {
      const align = /text-align:\s*(left|center|right)/.exec(props.style)?.[1];
      if (align) props.align = align;
    }
    // Textile's caps and acronyms are styling only.
    if (child.tagName === 'acronym' || child.tagName === 'abbr') child.tagName = 'span';
    adaptForMdast(child);
  }
}

/**
 * Textile lists are always tight, and a Redmine item written "[ ] …" or "[x] …" is a task: Redmine
 * shows the brackets as typed, which is how a task list reads in plain text.
 */
export function tightTaskLists(node: Nodes): Root {
  if (node.type === 'list' || node.type === 'listItem') node.spread = false;
  if (node.type === 'listItem') {
    const first = node.children[0];
    const text = first?.type === 'paragraph' ? first.children[0] : undefined;
    const box = text?.type === 'text' ? /^\[([ xX])\] /.exec(text.value) : null;
    if (box && text?.type === 'text') {
      node.checked = box[1] !== ' ';
      text.value = text.value.slice(box[0].length);
    }
  }
  if ('children' in node) for (const child of node.children) tightTaskLists(child);
  return node as Root;
}

const TAG = /<\/?[A-Za-z][^<>\n]*>/g;

/**
 * Redmine shows a tag such as `<tag>` as typed, and so does the hub when it is written unescaped
 * (inline HTML that GitHub leaves alone or drops): text that looks like a tag becomes inline HTML,
 * so `<tag>` goes to Redmine and comes back as it was rather than as `\<tag>`.
 */
export function tagsAsHtml(node: Nodes): void {
  if (!('children' in node)) return;
  const children: Nodes[] = [];
  for (const child of node.children as Nodes[]) {
    if (child.type !== 'text' || !TAG.test(child.value)) {
      TAG.lastIndex = 0;
      tagsAsHtml(child);
      children.push(child);
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
