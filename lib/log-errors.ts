/**
 * The error serializer every logger uses. Errors from the database carry what a log must never
 * hold: drizzle's "Failed query: … params: …" lists the bound values (sealed secrets, titles,
 * descriptions), and Postgres' `detail` and some messages quote the offending value. A logged
 * database error keeps its statement (verb and table), SQLSTATE code and constraint, and loses
 * the values; every other error keeps its class, message and plain fields.
 */

/** Fields that hold bound values or whole payloads; never logged, whatever the error. */
const DROPPED = new Set(['params', 'parameters', 'query', 'detail', 'where', 'internalQuery', 'body', 'bodyText', 'headers', 'config', 'secrets', 'request', 'response']);
const MAX_DEPTH = 5;

/** "insert into "connections" (…) values ($1, …)" → `insert into "connections"`. */
export function statementName(query: string): string {
  const verb = /^\s*(with|select|insert|update|delete|lock|create|alter|drop)\b/i.exec(query)?.[1]?.toLowerCase() ?? 'statement';
  const table = /\b(?:from|into|update|table)\s+("[^"]+"|[\w.]+)/i.exec(query)?.[1];
  return table ? `${verb} ${table}` : verb;
}

/** Cuts a drizzle parameter list out of any text (a message, a stack, a string logged as `err`). */
export function scrubQueryText(text: string): string {
  return text
    .replace(/Failed query: ([\s\S]*?)\nparams: [\s\S]*?(?=\n\s+at |$)/g, (_m, query: string) => `Failed query: ${statementName(query)}`)
    // Postgres quotes the rejected value at the end: invalid input syntax for type uuid: "…".
    .replace(/(invalid input (?:syntax|value) for [^:\n]*): "[^\n]*"/g, '$1: [redacted]');
}

const isDrizzleQueryError = (e: object): e is Error & { query: string } =>
  e instanceof Error && typeof (e as { query?: unknown }).query === 'string' && 'params' in e;

/** A plain object safe to log, for pino's `err` and `error` keys. */
export function serializeError(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubQueryText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (!(value instanceof Error)) return depth === 0 ? serializeFields(value, depth) : '[object]';
  const out: Record<string, unknown> = { type: value.constructor?.name ?? value.name };
  const message = isDrizzleQueryError(value) ? `Failed query: ${statementName(value.query)}` : scrubQueryText(value.message);
  out.message = message;
  if (value.stack) out.stack = scrubQueryText(value.stack.replace(value.message, message));
  Object.assign(out, serializeFields(value, depth));
  if (value.cause !== undefined && depth < MAX_DEPTH) out.cause = serializeError(value.cause, depth + 1);
  return out;
}

function serializeFields(value: object, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (DROPPED.has(key) || key === 'message' || key === 'stack' || key === 'cause') continue;
    if (typeof field === 'string') out[key] = scrubQueryText(field);
    else if (typeof field === 'number' || typeof field === 'boolean') out[key] = field;
    else if (field instanceof Error && depth < MAX_DEPTH) out[key] = serializeError(field, depth + 1);
  }
  return out;
}
