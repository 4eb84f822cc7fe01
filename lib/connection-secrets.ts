/**
 * A connection's sealed secrets hold the connector's own secrets plus, optionally, the webhook secret
 * the platform checks incoming webhooks with. The webhook secret is the platform's, not the
 * connector's: it is split off before the connector's (strict) secrets schema sees the rest.
 */
export const WEBHOOK_SECRET_KEY = 'webhookSecret';

/** Webhook secrets the API accepts when a user sets one: long enough not to be guessed. */
export const WEBHOOK_SECRET_MIN = 16;
export const WEBHOOK_SECRET_MAX = 256;

const asRecord = (plain: unknown): Record<string, unknown> =>
  plain && typeof plain === 'object' && !Array.isArray(plain) ? (plain as Record<string, unknown>) : {};

/** The connector's own secrets: everything but the webhook secret. */
export function connectorSecretsOf(plain: unknown): unknown {
  if (!plain || typeof plain !== 'object' || Array.isArray(plain)) return plain;
  const { [WEBHOOK_SECRET_KEY]: _webhook, ...rest } = plain as Record<string, unknown>;
  return rest;
}

/** The webhook secret, when the connection has one. */
export function webhookSecretOf(plain: unknown): string | undefined {
  const value = asRecord(plain)[WEBHOOK_SECRET_KEY];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The sealed content with the webhook secret set (or kept as it was). */
export function withWebhookSecret(plain: unknown, secret: string | undefined): Record<string, unknown> {
  const rest = asRecord(connectorSecretsOf(plain));
  return secret === undefined ? rest : { ...rest, [WEBHOOK_SECRET_KEY]: secret };
}
