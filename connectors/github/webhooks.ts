import { z } from 'zod';
import type { WebhookDeclaration } from '../types';

const issuePayload = z.looseObject({
  issue: z.looseObject({ number: z.number().int().positive(), pull_request: z.unknown().optional() }),
  repository: z.looseObject({ full_name: z.string().min(3).max(300) }),
});

/** GitHub: `issues` and `issue_comment` name `issue.number` in `repository.full_name` (the binding scope `owner/repo`). */
export const githubWebhooks: WebhookDeclaration = {
  signature: { scheme: 'hmac-sha256', header: 'x-hub-signature-256' },
  events: '`issues`, `issue_comment` and `ping`',
  deliveryHeader: 'x-github-delivery',
  read({ header, payload }) {
    const event = header('x-github-event');
    if (event === 'ping') return { kind: 'ping' };
    if (event !== 'issues' && event !== 'issue_comment') return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not synced` };
    const parsed = issuePayload.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: 'no issue number and repository in the payload' };
    // Pull requests share the issue numbering and comments, but bindings sync issues only.
    if (parsed.data.issue.pull_request !== undefined) return { kind: 'ignored', reason: 'a pull request' };
    return { kind: 'item', scope: parsed.data.repository.full_name, remoteId: String(parsed.data.issue.number) };
  },
};
