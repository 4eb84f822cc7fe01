/**
 * The subset of JQL the connector sends: clauses joined by AND, of the forms
 * `project = KEY`, `updated >= <epoch ms>` (also `>`, `<=`, `<`; `created` too), `creator = currentUser()`
 * (`reporter` too), `issue.property[key].path = "value"`, `key in (A-1, A-2)`, `id in (1, 2)`, `key = A-1`,
 * then `ORDER BY updated ASC|DESC[, id ASC]`. Anything else is refused as Jira refuses a query it cannot
 * parse: 400 with an error message.
 *
 * An entity property is a JQL field only where an app declared an index for it (Connect
 * `jiraEntityProperties`, Forge `jira:entityProperty`, a Data Center index document); a REST client
 * cannot declare one. Elsewhere Jira answers the clause as it answers any unknown field.
 */
import type { IssueRecord, UserRecord } from './store';

export class JqlError extends Error {}

type Predicate = (rec: IssueRecord) => boolean;
export interface Query { filter: Predicate; order: Array<{ field: 'updated' | 'id' | 'created' | 'key'; desc: boolean }> }

const unquote = (v: string): string => v.trim().replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1').replace(/\\"/g, '"');
const list = (v: string): string[] => {
  const m = /^\((.*)\)$/s.exec(v.trim());
  if (!m?.[1]) throw new JqlError(`Error in the JQL Query: expected a list in parentheses, got ${v}`);
  return m[1].split(',').map(unquote);
};

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '>=': return a >= b;
    case '>': return a > b;
    case '<=': return a <= b;
    case '<': return a < b;
    case '=': return a === b;
    default: throw new JqlError(`Error in the JQL Query: operator ${op} is not supported for dates`);
  }
}

function propertyValue(rec: IssueRecord, key: string, path: string[]): unknown {
  let value: unknown = rec.properties.get(key);
  for (const part of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/** What a query is read against: the property keys with a declared index, and the user asking (currentUser()). */
export interface JqlContext { indexedProperties: ReadonlySet<string>; viewer: UserRecord }

const unknownField = (field: string) => new JqlError(`Field '${field}' does not exist or you do not have permission to view it.`);

function clause(text: string, ctx: JqlContext): Predicate {
  const m = /^\s*(issue\.property\[[^\]]+\](?:\.[\w.]+)?|[\w.]+)\s*(>=|<=|!=|=|>|<|\bin\b)\s*(.+?)\s*$/is.exec(text);
  if (!m?.[1] || !m[2] || m[3] === undefined) throw new JqlError(`Error in the JQL Query: cannot parse "${text.trim()}"`);
  const [field, op, value] = [m[1], m[2].toLowerCase(), m[3]];
  const prop = /^issue\.property\[([^\]]+)\](?:\.([\w.]+))?$/i.exec(field);
  if (prop?.[1]) {
    if (op !== '=') throw new JqlError('Error in the JQL Query: only = is supported on issue properties here');
    const [key, path] = [unquote(prop[1]), prop[2]?.split('.') ?? []];
    if (!ctx.indexedProperties.has(key)) throw unknownField(field);
    const wanted = unquote(value);
    return (rec) => String(propertyValue(rec, key, path) ?? '\u0000') === wanted;
  }
  switch (field.toLowerCase()) {
    case 'project': {
      const key = unquote(value).toUpperCase();
      if (op !== '=') throw new JqlError('Error in the JQL Query: only project = KEY is supported here');
      return (rec) => rec.project === key;
    }
    case 'creator':
    case 'reporter': {
      if (op !== '=' || !/^currentUser\(\)$/i.test(value.trim())) throw new JqlError(`Error in the JQL Query: only ${field} = currentUser() is supported here`);
      return (rec) => rec.reporter.accountId === ctx.viewer.accountId;
    }
    case 'updated':
    case 'created': {
      const raw = unquote(value);
      // Epoch milliseconds, as the connector sends them; a date literal would be read in the user's time zone.
      if (!/^-?\d+$/.test(raw)) throw new JqlError(`Error in the JQL Query: the date "${raw}" is not an epoch in milliseconds (the double reads only those)`);
      const bound = Number(raw);
      return (rec) => compare(op, field.toLowerCase() === 'updated' ? rec.updated : rec.created, bound);
    }
    case 'key':
    case 'issuekey':
    case 'id': {
      const values = op === 'in' ? list(value) : op === '=' ? [unquote(value)] : undefined;
      if (!values) throw new JqlError(`Error in the JQL Query: operator ${op} is not supported on ${field}`);
      const wanted = new Set(values.map((v) => v.toUpperCase()));
      return (rec) => wanted.has(rec.key) || wanted.has(rec.id);
    }
    default:
      throw unknownField(field);
  }
}

export function parseJql(jql: string, ctx: JqlContext): Query {
  const [where = '', orderBy] = jql.split(/\border\s+by\b/i);
  const clauses = where.trim() === '' ? [] : where.split(/\s+and\s+/i).map((c) => clause(c, ctx));
  const order = (orderBy ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((term) => {
    const m = /^(updated|id|created|key)(?:\s+(asc|desc))?$/i.exec(term);
    if (!m?.[1]) throw new JqlError(`Error in the JQL Query: cannot order by "${term}"`);
    return { field: m[1].toLowerCase() as 'updated' | 'id' | 'created' | 'key', desc: m[2]?.toLowerCase() === 'desc' };
  });
  return { filter: (rec) => clauses.every((c) => c(rec)), order };
}

/** Matching issues in the query's order; Jira breaks ties by issue id, newest last. */
export function runJql(issues: IssueRecord[], query: Query): IssueRecord[] {
  const key = (rec: IssueRecord, field: Query['order'][number]['field']): number => (field === 'updated' ? rec.updated : field === 'created' ? rec.created : Number(rec.id));
  return issues.filter(query.filter).sort((a, b) => {
    for (const { field, desc } of query.order) {
      const d = key(a, field) - key(b, field);
      if (d !== 0) return desc ? -d : d;
    }
    return Number(a.id) - Number(b.id);
  });
}
