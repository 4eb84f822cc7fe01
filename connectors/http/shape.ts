import type { z } from 'zod';
import { PermanentError } from '../errors';

/** `issues[3].updated_on`: a zod issue path as a reader of the remote's JSON would write it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(the whole answer)';
}

/** What was wrong, without the value itself (it may be user content). */
function describe(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'invalid_type') return `${where}: expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${issue.message}`;
}

/**
 * Checks a 2xx answer against what the connector reads of it. Only those fields are described (the
 * rest passes through untouched), so a remote adding fields never breaks us; one that drops or retypes
 * a field we read is a permanent "unexpected response" naming the path, not a TypeError deep in mapping.
 */
export function readShape<T>(shape: z.ZodType<T>, data: unknown, label: string, status?: number): T {
  const parsed = shape.safeParse(data);
  if (parsed.success) return parsed.data;
  const [first, ...rest] = parsed.error.issues;
  const more = rest.length ? ` (and ${rest.length} more)` : '';
  throw new PermanentError(`${label}: unexpected response: ${first ? describe(first) : 'invalid'}${more}`, status);
}
