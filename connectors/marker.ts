/**
 * The marker a create leaves in a remote item's text, so that a create retried after a crash
 * finds the item it already made instead of making a second one (I1).
 * It is an HTML comment: hidden where the remote renders HTML, and stripped on every read.
 */
const MARKER_VALUE = /^[A-Za-z0-9._:-]{1,100}$/;
const TRAILING_MARKER = /(?:\r?\n){0,2}<!-- trackbridge:[A-Za-z0-9._:-]+ -->\s*$/;
const ANY_MARKER = /<!-- trackbridge:([A-Za-z0-9._:-]+) -->/g;

export const markerComment = (marker: string): string => `<!-- trackbridge:${marker} -->`;

/** The text to send on create: the description, a blank line, the marker. */
export function appendMarker(text: string, marker: string): string {
  if (!MARKER_VALUE.test(marker)) throw new Error(`invalid marker ${JSON.stringify(marker)}: use [A-Za-z0-9._:-], at most 100 characters`);
  return text === '' ? markerComment(marker) : `${text}\n\n${markerComment(marker)}`;
}

/** The description as the hub sees it: exactly what appendMarker was given. */
export function stripMarker(text: string): string {
  return text.replace(TRAILING_MARKER, '').replace(ANY_MARKER, '');
}

/** The marker a text carries (the last one, where a copy-paste brought several), for `RemoteItem.marker`. */
export function markerIn(text: string | null | undefined): string | undefined {
  if (!text || !text.includes('<!-- trackbridge:')) return undefined;
  return [...text.matchAll(ANY_MARKER)].at(-1)?.[1];
}

/** `{ marker }` for a RemoteItem read from this text, or nothing when it carries none. */
export function markerField(text: string | null | undefined): { marker?: string } {
  const marker = markerIn(text);
  return marker === undefined ? {} : { marker };
}

export function hasMarker(text: string | null | undefined, marker: string): boolean {
  return !!text && text.includes(markerComment(marker));
}
