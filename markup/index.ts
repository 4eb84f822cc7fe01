/** Markup conversions between the hub's form (GitHub-flavoured CommonMark) and each tracker's. */
export { normalize, parseGfm, stringifyGfm } from './gfm';
export type { MarkupOptions } from './options';
export type { UserMap } from './mentions';
export { toTextile } from './textile-out';
export { fromTextile } from './textile-in';
export { REDMINE_TEXT_FORMATS, fromRedmine, fromRedmineMarkdown, toRedmine, toRedmineMarkdown, type RedmineTextFormat } from './redmine';
export { toAdf } from './adf-out';
export { fromAdf } from './adf-in';
export type { AdfDoc, AdfMark, AdfNode } from './adf-types';
export { toJiraWiki } from './wiki-out';
export { fromJiraWiki } from './wiki-in';
