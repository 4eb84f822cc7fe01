/**
 * Jira's published response model, to hold the double to it. The model is jira.js (npm, pinned in
 * package.json): its runtime zod schemas are generated from Atlassian's OpenAPI document of the Jira
 * Cloud platform REST API. With AUDIT_SCHEMAS=true it builds them strict, so a key the spec does not
 * document fails as surely as a missing or retyped one does.
 *
 * What the spec leaves open is closed here from Atlassian's own documentation: an issue's `fields` are a
 * free map in the OpenAPI document, so each system field is checked against the component its field
 * schema names (status → StatusDetails, assignee → UserDetails, …). Data Center's REST v2 is checked
 * against the same components with its documented differences: rich text is a wiki string, not ADF;
 * users carry `name` and `key` instead of `accountId`; search pages by startAt/total (SearchResults).
 */
import { z } from 'zod';
import type { Deployment, Exchange } from './jira-double';

// jira.js builds its schemas when its module is evaluated: the switch must be set before the import.
process.env.AUDIT_SCHEMAS = 'true';
const m = await import('jira.js/cloud');

/** The source of the model, as the report names it. */
export const CONTRACT_SOURCE = 'jira.js@6.2.0 (zod models generated from Atlassian\'s Jira Cloud platform OpenAPI document), strict audit mode';

const jiraDate = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/, 'a Jira datetime (2024-06-01T12:00:00.000+0000)');

interface Models {
  user: z.ZodType;
  myself: z.ZodType;
  richText: z.ZodType;
  comment: z.ZodType;
  comments: z.ZodType;
  attachment: z.ZodType;
}

function models(deployment: Deployment): Models {
  if (deployment === 'cloud') {
    return { user: m.UserDetailsSchema, myself: m.DashboardUserSchema, richText: m.DocumentSchema, comment: m.CommentSchema, comments: m.PageOfCommentsSchema, attachment: m.AttachmentSchema };
  }
  // Jira Data Center REST v2 (docs.atlassian.com/software/jira/docs/api/REST/latest): users by name and key.
  const { accountId: _a, accountType: _t, ...userShape } = m.UserDetailsSchema.shape;
  const user = z.strictObject({ ...userShape, name: z.string(), key: z.string() });
  const { accountId: _da, accountType: _dt, ...myselfShape } = m.DashboardUserSchema.shape;
  const comment = z.strictObject({ ...m.CommentSchema.shape, body: z.string(), author: user, updateAuthor: user });
  return {
    user,
    myself: z.strictObject({ ...myselfShape, name: z.string(), key: z.string() }),
    richText: z.string(),
    comment,
    comments: z.strictObject({ ...m.PageOfCommentsSchema.shape, comments: z.array(comment) }),
    attachment: z.strictObject({ ...m.AttachmentSchema.shape, author: user }),
  };
}

/** The component each system field's value is documented as (GET /field gives its schema type). */
function fieldModels(deployment: Deployment): Record<string, z.ZodType> {
  const x = models(deployment);
  return {
    summary: z.string(),
    description: x.richText.nullable(),
    status: m.StatusDetailsSchema,
    priority: m.PrioritySchema.nullable(),
    assignee: x.user.nullable(),
    reporter: x.user.nullable(),
    creator: x.user.nullable(),
    labels: z.array(z.string()),
    issuetype: m.IssueTypeDetailsSchema,
    project: m.ProjectSchema,
    resolution: m.ResolutionSchema.nullable(),
    created: jiraDate,
    updated: jiraDate,
    attachment: z.array(x.attachment),
    comment: z.strictObject({ ...(x.comments as z.ZodObject).shape, self: z.string() }),
  };
}

const issueModel = (deployment: Deployment): z.ZodType => {
  const fields = fieldModels(deployment);
  const x = models(deployment);
  const known = z.strictObject(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])));
  // Custom fields are typed by GET /field: text, rich text, number, date, an option (a cascade's with a
  // child), a list of options, a user.
  const option = z.strictObject({ self: z.string(), value: z.string(), id: z.string() });
  const customValue = z.union([z.string(), z.number(), x.richText, option.extend({ child: option.optional() }), z.array(option), x.user]).nullable();
  const custom = z.record(z.string().regex(/^customfield_\d+$/), customValue);
  return m.IssueSchema.extend({
    // Data Center's expand=changelog (Cloud has GET /issue/{key}/changelog): histories, not a page.
    changelog: z.strictObject({ startAt: z.number(), maxResults: z.number(), total: z.number(), histories: z.array(m.ChangelogSchema.extend({ author: x.user })) }).optional(),
    fields: z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
      const [system, extra] = [{} as Record<string, unknown>, {} as Record<string, unknown>];
      for (const [k, v] of Object.entries(value)) (k.startsWith('customfield_') ? extra : system)[k] = v;
      for (const [schema, part] of [[known, system], [custom, extra]] as const) {
        const result = schema.safeParse(part);
        if (!result.success) for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      }
    }).optional(),
  });
};

/** Data Center's createmeta pages (REST v2, Jira 8.4+): values with startAt, maxResults, total and isLast. */
const dcPage = (item: z.ZodType) => z.strictObject({ values: z.array(item), startAt: z.number(), maxResults: z.number(), total: z.number(), isLast: z.boolean() });

/** The documented 2xx model of each operation the double serves, by method and path (after /rest/api/{v}). */
function operations(deployment: Deployment): Array<[string, RegExp, z.ZodType | null]> {
  const x = models(deployment);
  const issue = issueModel(deployment);
  const transitions = m.TransitionsSchema.extend({
    transitions: z.array(m.IssueTransitionSchema.extend({ fields: z.record(z.string(), m.FieldMetadataSchema).optional() })).optional(),
  });
  return [
    ['GET', /^\/myself$/, x.myself],
    ['GET', /^\/project\/search$/, m.PageProjectSchema],
    ['GET', /^\/project$/, z.array(m.ProjectSchema)],
    ['GET', /^\/field$/, z.array(m.FieldDetailsSchema)],
    ['GET', /^\/search\/jql$/, m.SearchAndReconcileResultsSchema.extend({ issues: z.array(issue).optional() })],
    ['POST', /^\/search\/jql$/, m.SearchAndReconcileResultsSchema.extend({ issues: z.array(issue).optional() })],
    ['GET', /^\/search$/, m.SearchResultsSchema.extend({ issues: z.array(issue).optional() })],
    ['POST', /^\/search$/, m.SearchResultsSchema.extend({ issues: z.array(issue).optional() })],
    ['POST', /^\/issue$/, m.CreatedIssueSchema],
    ['GET', /^\/issue\/[^/]+$/, issue],
    ['PUT', /^\/issue\/[^/]+$/, null],
    ['DELETE', /^\/issue\/[^/]+$/, null],
    ['GET', /^\/issue\/[^/]+\/transitions$/, transitions],
    ['POST', /^\/issue\/[^/]+\/transitions$/, null],
    ['GET', /^\/issue\/[^/]+\/comment$/, x.comments],
    ['POST', /^\/issue\/[^/]+\/comment$/, x.comment],
    ['GET', /^\/issue\/[^/]+\/comment\/\d+$/, x.comment],
    ['PUT', /^\/issue\/[^/]+\/comment\/\d+$/, x.comment],
    ['GET', /^\/issue\/[^/]+\/properties\/[^/]+$/, m.EntityPropertySchema],
    ['PUT', /^\/issue\/[^/]+\/properties\/[^/]+$/, null],
    ['POST', /^\/issue\/[^/]+\/attachments$/, z.array(x.attachment)],
    ['GET', /^\/issue\/[^/]+\/changelog$/, m.PageChangelogSchema],
    // Screens: the create screen of a project's issue type, and an issue's edit screen.
    ['GET', /^\/issue\/createmeta\/[^/]+\/issuetypes$/, deployment === 'cloud' ? m.PageOfCreateMetaIssueTypesSchema : dcPage(m.IssueTypeIssueCreateMetadataSchema)],
    ['GET', /^\/issue\/createmeta\/[^/]+\/issuetypes\/[^/]+$/, deployment === 'cloud' ? m.PageOfCreateMetaIssueTypeWithFieldSchema : dcPage(m.FieldMetadataSchema)],
    ['GET', /^\/issue\/[^/]+\/editmeta$/, m.IssueUpdateMetadataSchema.extend({ fields: z.record(z.string(), m.FieldMetadataSchema) })],
    // A connection's metadata (GET /connections/{id}/metadata).
    ['GET', /^\/project\/[^/]+\/statuses$/, z.array(m.IssueTypeWithStatusSchema)],
    ['GET', /^\/priority\/search$/, m.PagePrioritySchema],
    ['GET', /^\/priority$/, z.array(m.PrioritySchema)],
    ['GET', /^\/user\/assignable\/search$/, z.array(x.myself)],
    ['GET', /^\/label$/, m.PageStringSchema],
  ];
}

/**
 * Keys real Jira always sends in each answer, per deployment: the models make every key optional, so a
 * double that dropped one would pass them. A path's `[]` means each element of that list.
 */
function alwaysPresent(deployment: Deployment): Array<[string, RegExp, string[]]> {
  const cloud = deployment === 'cloud';
  const user = cloud ? ['accountId', 'displayName', 'active'] : ['name', 'key', 'displayName', 'active'];
  const comment = ['self', 'id', 'body', 'created', 'updated', ...user.map((k) => `author.${k}`)];
  const issue = ['id', 'key', 'self', 'fields'];
  return [
    ['GET', /^\/myself$/, user],
    // Which fields come is the request's `fields`; the issue's frame always does.
    ['GET', /^\/issue\/[^/]+$/, issue],
    ['POST', /^\/issue$/, ['id', 'key', 'self']],
    ['GET', /^\/search\/jql$/, ['issues', ...issue.map((k) => `issues[].${k === 'self' || k === 'fields' ? 'id' : k}`)]],
    ['GET', /^\/search$/, ['startAt', 'maxResults', 'total', 'issues', 'issues[].id', 'issues[].key', 'issues[].self']],
    ['GET', /^\/issue\/[^/]+\/comment$/, ['startAt', 'maxResults', 'total', 'comments', ...comment.map((k) => `comments[].${k}`)]],
    ['POST', /^\/issue\/[^/]+\/comment$/, comment],
    ['PUT', /^\/issue\/[^/]+\/comment\/\d+$/, comment],
    ['GET', /^\/issue\/[^/]+\/transitions$/, ['transitions', 'transitions[].id', 'transitions[].name', 'transitions[].to.name', 'transitions[].to.statusCategory.key']],
    ['GET', /^\/issue\/[^/]+\/changelog$/, ['startAt', 'maxResults', 'total', 'isLast', 'values', 'values[].id', 'values[].created', 'values[].items', ...user.map((k) => `values[].author.${k}`)]],
    ['GET', /^\/field$/, ['[].id', '[].name', '[].custom']],
    ['GET', /^\/issue\/createmeta\/[^/]+\/issuetypes\/[^/]+$/, cloud ? ['fields', 'fields[].fieldId', 'fields[].key', 'fields[].name', 'fields[].required', 'fields[].operations'] : ['values', 'values[].key', 'values[].name', 'values[].required', 'values[].operations']],
    ['GET', /^\/issue\/[^/]+\/editmeta$/, ['fields']],
    ['POST', /^\/issue\/[^/]+\/attachments$/, ['[].id', '[].filename', '[].size', '[].mimeType', '[].content', '[].created']],
  ];
}

/** The paths of `spec` that `body` lacks. */
function missingIn(body: unknown, spec: string): boolean {
  const walk = (value: unknown, parts: string[]): boolean => {
    if (parts.length === 0) return value === undefined;
    const [head = '', ...rest] = parts;
    const list = head.endsWith('[]');
    const key = list ? head.slice(0, -2) : head;
    const next = key === '' ? value : typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    if (!list) return walk(next, rest);
    return !Array.isArray(next) || next.some((item) => walk(item, rest));
  };
  return walk(body, spec.split('.'));
}

export interface ContractCheck {
  /** Violations so far, one line each: the operation, the path in the body, what is wrong. */
  readonly violations: string[];
  /** Operations answered 2xx so far, as "METHOD /path-pattern". */
  readonly covered: Set<string>;
  check(exchange: Exchange): void;
}

/** Checks each exchange of a double of `deployment` against the model; a 4xx must be Jira's ErrorCollection. */
export function contractCheck(deployment: Deployment): ContractCheck {
  const ops = operations(deployment);
  const always = alwaysPresent(deployment);
  const violations: string[] = [];
  const covered = new Set<string>();
  return {
    violations,
    covered,
    check(exchange) {
      const path = exchange.path.replace(/^\/rest\/api\/(2|3|latest)/, '');
      const label = `${exchange.method} ${exchange.path} → ${exchange.status}`;
      if (exchange.status === 429 || exchange.status >= 500) return; // fault replies: the kit injects arbitrary bodies
      let schema: z.ZodType | null | undefined;
      if (exchange.status >= 400) schema = m.ErrorCollectionSchema;
      else {
        const op = ops.find(([method, pattern]) => method === exchange.method && pattern.test(path));
        if (!op) { violations.push(`${label}: an operation the contract map does not know`); return; }
        covered.add(`${op[0]} ${op[1].source}`);
        schema = op[2];
      }
      if (schema === null) {
        if (exchange.body !== undefined) violations.push(`${label}: Jira answers this operation with no content`);
        return;
      }
      if (exchange.status < 300) {
        const required = always.find(([method, pattern]) => method === exchange.method && pattern.test(path))?.[2] ?? [];
        for (const spec of required) if (missingIn(exchange.body, spec)) violations.push(`${label}: ${spec}: always sent by Jira ${deployment === 'cloud' ? 'Cloud' : 'Data Center'}, missing`);
      }
      const result = schema.safeParse(exchange.body);
      if (!result.success) for (const issue of result.error.issues.slice(0, 5)) violations.push(`${label}: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    },
  };
}

export const contractOperations = (deployment: Deployment): string[] => operations(deployment).map(([method, pattern]) => `${method} ${pattern.source}`);
