import { z } from 'zod';
import type { WebhookDeclaration } from '../types';

const EVENTS = new Set(['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted', 'comment_created', 'comment_updated', 'comment_deleted']);
const payloadShape = z.looseObject({
  webhookEvent: z.string(),
  issue: z.looseObject({
    id: z.union([z.string(), z.number()]).optional(),
    key: z.string().min(1).max(100).optional(),
    fields: z.looseObject({ project: z.looseObject({ key: z.string().min(1).max(100) }).optional() }).optional(),
  }),
});

/**
 * Jira: the event is the body's `webhookEvent`, signed in `X-Hub-Signature` (a secret set on the webhook).
 * The item is `issue.id` (stable when an issue moves and its key changes; Jira's issue endpoint takes
 * either), the scope its project key when the payload has it.
 */
export const jiraWebhooks: WebhookDeclaration = {
  signature: { scheme: 'hmac-sha256', header: 'x-hub-signature', fallbackHeaders: ['x-hub-signature-256'] },
  events: '`jira:issue_created`, `jira:issue_updated`, `comment_created`, `comment_updated`',
  deliveryHeader: 'x-atlassian-webhook-identifier',
  read({ payload }) {
    const parsed = payloadShape.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: 'no webhookEvent and issue in the payload' };
    if (!EVENTS.has(parsed.data.webhookEvent)) return { kind: 'ignored', reason: `event ${parsed.data.webhookEvent} is not synced` };
    const { id, key, fields } = parsed.data.issue;
    const remoteId = id !== undefined ? String(id) : key;
    if (!remoteId) return { kind: 'ignored', reason: 'no issue id or key in the payload' };
    const scope = fields?.project?.key;
    return { kind: 'item', remoteId, ...(scope ? { scope } : {}) };
  },
};
