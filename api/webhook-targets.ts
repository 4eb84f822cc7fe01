import { z } from 'zod';

/** The item a webhook names: the remote id to fetch and, when the payload tells, the binding scope it belongs to. */
export interface WebhookTarget { scope?: string; remoteId: string }

/** What a payload asks for: fetch an item, answer a ping, or nothing (an event or item we do not sync). */
export type WebhookRequest = { kind: 'item'; target: WebhookTarget } | { kind: 'ping' } | { kind: 'ignored'; reason: string };

/** Reads a verified payload's ids (never its field values) for one connector. */
export type WebhookReader = (event: string | undefined, payload: unknown) => WebhookRequest;

const githubIssuePayload = z.looseObject({
  issue: z.looseObject({ number: z.number().int().positive(), pull_request: z.unknown().optional() }),
  repository: z.looseObject({ full_name: z.string().min(3).max(300) }),
});

/** GitHub: `issues` and `issue_comment` name `issue.number` in `repository.full_name` (the binding scope `owner/repo`). */
const github: WebhookReader = (event, payload) => {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'issues' && event !== 'issue_comment') return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not synced` };
  const parsed = githubIssuePayload.safeParse(payload);
  if (!parsed.success) return { kind: 'ignored', reason: 'no issue number and repository in the payload' };
  // Pull requests share the issue numbering and comments, but bindings sync issues only.
  if (parsed.data.issue.pull_request !== undefined) return { kind: 'ignored', reason: 'a pull request' };
  return { kind: 'item', target: { scope: parsed.data.repository.full_name, remoteId: String(parsed.data.issue.number) } };
};

const JIRA_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted', 'comment_created', 'comment_updated', 'comment_deleted']);
const jiraPayload = z.looseObject({
  webhookEvent: z.string(),
  issue: z.looseObject({
    id: z.union([z.string(), z.number()]).optional(),
    key: z.string().min(1).max(100).optional(),
    fields: z.looseObject({ project: z.looseObject({ key: z.string().min(1).max(100) }).optional() }).optional(),
  }),
});

/**
 * Jira: the event is the body's `webhookEvent`. The item is `issue.id` (stable when an issue moves and
 * its key changes; Jira's issue endpoint takes either), the scope its project key when the payload has it.
 */
const jira: WebhookReader = (_event, payload) => {
  const parsed = jiraPayload.safeParse(payload);
  if (!parsed.success) return { kind: 'ignored', reason: 'no webhookEvent and issue in the payload' };
  if (!JIRA_EVENTS.has(parsed.data.webhookEvent)) return { kind: 'ignored', reason: `event ${parsed.data.webhookEvent} is not synced` };
  const { id, key, fields } = parsed.data.issue;
  const remoteId = id !== undefined ? String(id) : key;
  if (!remoteId) return { kind: 'ignored', reason: 'no issue id or key in the payload' };
  const scope = fields?.project?.key;
  return { kind: 'item', target: { ...(scope ? { scope } : {}), remoteId } };
};

/** Webhook readers by connector slug; a connector without one is reached through the signed poke only. */
export const webhookReaders: Readonly<Record<string, WebhookReader>> = { github, jira };

/** Whether a binding's scope is the one a webhook names (GitHub and Jira compare names case-insensitively). */
export const sameScope = (bindingScope: string, named: string) => bindingScope.toLowerCase() === named.toLowerCase();

/** A poke's body: which item changed, and optionally in which scope. */
export const pokeBody = z.strictObject({
  scope: z.string().min(1).max(300).optional(),
  remoteId: z.string().min(1).max(200).regex(/^[\w.:@#/-]+$/, 'letters, digits and . _ : @ # / - only'),
});
