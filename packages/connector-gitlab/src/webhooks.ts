import { type WebhookDeclaration, z } from '@trackbridge/sdk';

const issueEvent = z.looseObject({
  object_kind: z.literal('issue'),
  project: z.looseObject({ path_with_namespace: z.string().min(1).max(300) }),
  object_attributes: z.looseObject({ iid: z.number().int().positive() }),
});
const noteEvent = z.looseObject({
  object_kind: z.literal('note'),
  project: z.looseObject({ path_with_namespace: z.string().min(1).max(300) }),
  object_attributes: z.looseObject({ noteable_type: z.string() }),
  issue: z.looseObject({ iid: z.number().int().positive() }).optional(),
});

/**
 * GitLab's project webhooks: `Issue Hook` and `Note Hook` (comments) name the issue's `iid` in the
 * project `path_with_namespace` (the binding scope). GitLab sends the webhook's secret token as is in
 * `X-Gitlab-Token`; there is no signature of the body.
 */
export const gitLabWebhooks: WebhookDeclaration = {
  signature: { scheme: 'token', header: 'x-gitlab-token' },
  events: '`Issues events` and `Comments` (the `Issue Hook` and `Note Hook` deliveries)',
  deliveryHeader: 'x-gitlab-event-uuid',
  read({ header, payload }) {
    const event = header('x-gitlab-event');
    if (event === 'Issue Hook' || event === 'Confidential Issue Hook') {
      const parsed = issueEvent.safeParse(payload);
      if (!parsed.success) return { kind: 'ignored', reason: 'no issue iid and project in the payload' };
      return { kind: 'item', scope: parsed.data.project.path_with_namespace, remoteId: String(parsed.data.object_attributes.iid) };
    }
    if (event === 'Note Hook' || event === 'Confidential Note Hook') {
      const parsed = noteEvent.safeParse(payload);
      if (!parsed.success) return { kind: 'ignored', reason: 'no note and project in the payload' };
      if (parsed.data.object_attributes.noteable_type !== 'Issue' || !parsed.data.issue) return { kind: 'ignored', reason: 'a comment on something other than an issue' };
      return { kind: 'item', scope: parsed.data.project.path_with_namespace, remoteId: String(parsed.data.issue.iid) };
    }
    return { kind: 'ignored', reason: `event ${event ?? '(none)'} is not synced` };
  },
};
