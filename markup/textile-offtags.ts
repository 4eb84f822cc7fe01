/**
 * Redmine's `rip_offtags` (RedCloth3): before any Textile rule runs, the text of `<pre>`, `<code>`,
 * `<kbd>` and `<notextile>` is set aside and shown as stored, entities included (`&lt;` shows as
 * `&lt;`). Offtags of the same kind nest; a closing tag ends its region wherever it stands.
 */
const OFFTAG = /<\/(code|pre|kbd|notextile)>|<(code|pre|kbd|notextile)\b([^>]*)>/gi;

export interface OfftagRegion {
  start: number;
  end: number;
  /** The outer tag, lower case. */
  tag: string;
  /** The class of a `<code class="…">` right inside a `<pre>` (Redmine's code language). */
  lang: string | null;
  /** The text Redmine shows. */
  text: string;
}

/** The offtag regions of a Textile source, in order. */
export function offtagRegions(source: string): OfftagRegion[] {
  const regions: OfftagRegion[] = [];
  let open: { start: number; tag: string; lang: string | null; text: string; depth: number; used: Set<string> } | undefined;
  let textFrom = 0;
  for (const m of source.matchAll(OFFTAG)) {
    const closing = m[1]?.toLowerCase();
    const tag = (closing ?? m[2]!).toLowerCase();
    if (open) open.text += source.slice(textFrom, m.index);
    textFrom = m.index + m[0].length;
    if (!open) {
      if (closing) continue;
      open = { start: m.index, tag, lang: null, text: '', depth: 1, used: new Set([tag]) };
      continue;
    }
    if (!closing) {
      open.depth++;
      open.used.add(tag);
      // A tag of a kind already open is text; a new kind (`<code class>` in `<pre>`) is structure.
      if (open.depth - open.used.size > 0) open.text += m[0];
      else if (open.tag === 'pre' && tag === 'code' && open.text === '') open.lang = /class=(?:"([^"]+)"|'([^']+)')/i.exec(m[3] ?? '')?.slice(1).find((c) => c) ?? null;
      continue;
    }
    if (open.depth - open.used.size > 0) open.text += m[0];
    open.depth--;
    if (open.depth === 0) {
      regions.push({ start: open.start, end: textFrom, tag: open.tag, lang: open.lang, text: open.text });
      open = undefined;
    }
  }
  if (open) regions.push({ start: open.start, end: source.length, tag: open.tag, lang: open.lang, text: open.text + source.slice(textFrom) });
  return regions;
}

/** Whether Redmine shows `value` as stored when it is written between `open` and `close`. */
export function preservesCode(open: string, value: string, close: string): boolean {
  const source = open + value + close;
  const regions = offtagRegions(source);
  return regions.length === 1 && regions[0]!.start === 0 && regions[0]!.end === source.length && regions[0]!.text === value;
}
