import { normalize } from './gfm';
import type { MarkupOptions } from './options';
import { fromTextile } from './textile-in';
import { toTextile } from './textile-out';

/** Redmine's text formatting setting (Administration → Settings → General), which its REST API does not show. */
export const REDMINE_TEXT_FORMATS = ['textile', 'markdown', 'common_mark'] as const;
export type RedmineTextFormat = (typeof REDMINE_TEXT_FORMATS)[number];

/**
 * Hub markup → Redmine's "markdown" (Redcarpet): the hub form already is what Redcarpet reads for
 * everything but task lists, which it shows as typed ("[ ] …") and which read back as tasks.
 */
export const toRedmineMarkdown = (md: string): string => normalize(md);

/** Redmine's "markdown" (Redcarpet) → hub markup. */
export const fromRedmineMarkdown = (text: string): string => normalize(text);

/** Hub markup → a Redmine text field in the instance's formatting (mentions through `options.users`, Textile only). */
export function toRedmine(md: string, format: RedmineTextFormat, options: MarkupOptions = {}): string {
  return format === 'textile' ? toTextile(md, options) : normalize(md);
}

/** A Redmine text field in the instance's formatting → hub markup. */
export function fromRedmine(text: string, format: RedmineTextFormat, options: MarkupOptions = {}): string {
  return format === 'textile' ? fromTextile(text, options) : normalize(text);
}
