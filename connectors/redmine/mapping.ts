import type { z } from 'zod';
import { fromRedmine, type MarkupOptions, type RedmineTextFormat } from '../../markup';

/** How text reads on this Redmine: its formatting setting, and the binding's user map for mentions. */
export interface RedmineText extends MarkupOptions {
  format: RedmineTextFormat;
}
import { markerField, stripMarker } from '../marker';
import type { ItemFields, Json, RemoteAttachment, RemoteComment, RemoteItem } from '../types';
import type { attachmentShape, customValueShape, issueShape, journalDetailShape, journalShape, namedRef, statusShape } from './shapes';

/** The parts of Redmine's JSON we read (checked at the edge, see shapes.ts); the rest travels untouched in `raw`. */
export type NamedRef = z.infer<typeof namedRef>;
export type RedmineCustomValue = z.infer<typeof customValueShape>;
export type RedmineJournal = z.infer<typeof journalShape>;
export type RedmineJournalDetail = z.infer<typeof journalDetailShape>;
export type RedmineIssue = z.infer<typeof issueShape>;
export type RedmineAttachment = z.infer<typeof attachmentShape>;
export type RedmineStatus = z.infer<typeof statusShape>;

export const toRemoteAttachment = (a: RedmineAttachment): RemoteAttachment => ({
  remoteId: String(a.id),
  name: a.filename,
  contentType: a.content_type || 'application/octet-stream',
  size: a.filesize,
  author: a.author?.name ?? 'unknown',
  createdAt: a.created_on,
  downloadable: true,
});

/** Multi-value fields read as "a, b"; unset ones ("" or null) as null. */
function customValue(value: string | string[] | null): string | null {
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text === null || text === '' ? null : text;
}

/**
 * A Redmine text field as the hub holds it: LF line ends, the create marker stripped, then converted
 * from the instance's formatting to hub markup. The conversion is a pure function of the text, so an
 * unchanged issue reads the same on every pull (E1).
 */
export const textFromRedmine = (text: string | null | undefined, markup: RedmineText): string =>
  fromRedmine(stripMarker((text ?? '').replace(/\r\n/g, '\n')), markup.format, markup);

/** `isClosed` answers for a status whose JSON lacks is_closed (Redmine before 4.2). */
export function toFields(issue: RedmineIssue, isClosed: (statusId: number) => boolean, markup: RedmineText): ItemFields {
  const customFields: Record<string, string | null> = {};
  for (const field of issue.custom_fields ?? []) customFields[field.name] = customValue(field.value);
  return {
    title: issue.subject,
    // Redmine stores descriptions with CRLF line ends whatever it was sent; the hub keeps LF.
    description: textFromRedmine(issue.description, markup),
    status: issue.status.name,
    closed: issue.status.is_closed ?? isClosed(issue.status.id),
    priority: issue.priority?.name ?? null,
    assignee: issue.assigned_to?.name ?? null,
    // Redmine has no labels; the tracker and category stay in `raw` for rules that want them.
    labels: [],
    customFields,
  };
}

export function toRemoteItem(issue: RedmineIssue, baseUrl: string, isClosed: (statusId: number) => boolean, markup: RedmineText): RemoteItem {
  const { journals: _journals, ...rest } = issue;
  return {
    remoteId: String(issue.id),
    key: `#${issue.id}`,
    url: `${baseUrl}/issues/${issue.id}`,
    createdAt: issue.created_on,
    updatedAt: issue.updated_on,
    fields: toFields(issue, isClosed, markup),
    ...markerField(issue.description),
    // Redmine 5 does not expose lock_version; updated_on is the token updateItem checks.
    version: issue.updated_on,
    raw: rest as unknown as Json,
  };
}

/** Journals with notes are comments; private notes are not synced anywhere. */
export function toRemoteComments(journals: RedmineJournal[], markup: RedmineText): RemoteComment[] {
  return journals
    .filter((journal) => !journal.private_notes && (journal.notes ?? '').trim() !== '')
    .sort((a, b) => a.id - b.id)
    .map((journal) => ({
      remoteId: String(journal.id),
      author: journal.user?.name ?? '',
      body: fromRedmine((journal.notes ?? '').replace(/\r\n/g, '\n'), markup.format, markup),
      createdAt: journal.created_on,
      // Journals carry no edit time in the API: an edited note keeps its created_on.
      updatedAt: journal.created_on,
    }));
}
