/**
 * Rich text at the Jira edge: ADF on REST v3 (Cloud), wiki markup on REST v2 (Data Center), from and
 * to the hub's GitHub-flavoured markdown through the shared `markup/` converters (README: Markup).
 */
import { fromAdf as adfToMarkdown, fromJiraWiki as wikiToMarkdown, toAdf, toJiraWiki, type AdfDoc, type AdfNode, type MarkupOptions } from '../../markup';

export { toAdf, toJiraWiki, type AdfDoc, type AdfNode };

/** ADF → markdown; an issue without a description has none. */
export const fromAdf = (doc: AdfNode | null | undefined, options?: MarkupOptions): string => (doc ? adfToMarkdown(doc, options) : '');

/** Wiki markup → markdown. Data Center stores CRLF for text typed in its editor; the hub keeps LF. */
export const fromJiraWiki = (wiki: string | null | undefined, options?: MarkupOptions): string => wikiToMarkdown((wiki ?? '').replace(/\r\n/g, '\n'), options);
