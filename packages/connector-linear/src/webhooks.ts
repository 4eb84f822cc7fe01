import { type WebhookDeclaration, z } from '@trackbridge/sdk';

/** Deliveries older than this are refused as replays, as Linear advises. */
const MAX_AGE_MS = 60_000;

const delivery = z.looseObject({
  type: z.string(),
  action: z.string().optional(),
  webhookTimestamp: z.number().optional(),
  data: z.looseObject({ id: z.string().optional(), issueId: z.string().optional() }),
});

/**
 * Linear's webhooks: `Issue` and `Comment` events, signed in `Linear-Signature` (the hex HMAC-SHA256 of
 * the raw body under the webhook's signing secret). The issue is fetched by its id; the payload names
 * no team key, so every binding of the connection whose team has the issue takes it.
 */
export const linearWebhooks: WebhookDeclaration = {
  signature: { scheme: 'hmac-sha256', header: 'linear-signature' },
  events: '`Issues` and `Comments`',
  deliveryHeader: 'linear-delivery',
  read({ payload }) {
    const parsed = delivery.safeParse(payload);
    if (!parsed.success) return { kind: 'ignored', reason: 'no event type and data in the payload' };
    const { type, data, webhookTimestamp } = parsed.data;
    if (webhookTimestamp !== undefined && Math.abs(Date.now() - webhookTimestamp) > MAX_AGE_MS) return { kind: 'ignored', reason: 'a delivery more than a minute old (a replay?)' };
    if (type === 'Issue' && data.id) return { kind: 'item', remoteId: data.id };
    if (type === 'Comment' && data.issueId) return { kind: 'item', remoteId: data.issueId };
    return { kind: 'ignored', reason: `event ${type} is not synced` };
  },
};
