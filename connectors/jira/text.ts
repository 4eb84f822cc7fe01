/**
 * Rich text at the Jira edge: ADF on REST v3 (Cloud), wiki markup on REST v2 (Data Center).
 *
 * Stand-in for the shared `markup/` module (`toAdf`, `fromAdf`, `toJiraWiki`, `fromJiraWiki`) that is
 * being written in parallel; once merged, each function below becomes a one-line re-export of it.
 * Until then it is honest but minimal: the hub's text travels as plain paragraphs, one per line.
 * Markdown formatting is not converted (it arrives in Jira as literal characters, and wiki markup
 * comes back to the hub as typed), and ADF nodes other than text and hard breaks keep only their text.
 */

export interface AdfNode {
  type: string;
  text?: string;
  version?: number;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
}
export interface AdfDoc extends AdfNode { type: 'doc'; version: 1; content: AdfNode[] }

/** Markdown → ADF: each line a paragraph (an empty line an empty paragraph), so the text comes back exactly. */
export function toAdf(md: string): AdfDoc {
  return { type: 'doc', version: 1, content: md.split('\n').map((line) => ({ type: 'paragraph', content: line === '' ? [] : [{ type: 'text', text: line }] })) };
}

const inlineText = (node: AdfNode): string =>
  (node.type === 'text' ? (node.text ?? '') : node.type === 'hardBreak' ? '\n' : (node.content ?? []).map(inlineText).join(''));

/** ADF → markdown: the text of each top-level block, one block a line. */
export function fromAdf(doc: AdfNode | null | undefined): string {
  return (doc?.content ?? []).map(inlineText).join('\n');
}

/** Markdown → wiki markup: plain text passes unchanged. */
export const toJiraWiki = (md: string): string => md;

/** Wiki markup → markdown: Data Center stores CRLF for text typed in its editor; the hub keeps LF. */
export const fromJiraWiki = (wiki: string | null | undefined): string => (wiki ?? '').replace(/\r\n/g, '\n');
