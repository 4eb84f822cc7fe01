/**
 * The double's repository webhook, as GitHub delivers one: a POST of the JSON payload (action, issue,
 * repository, sender; comment for issue_comment) with `X-GitHub-Event`, `X-GitHub-Delivery`,
 * `X-Hub-Signature-256` (and the legacy SHA-1 `X-Hub-Signature`) soon after each change. Deliveries
 * are not ordered and not retried, as on GitHub; a test redelivers one by id (the same body and delivery id).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { renderComment, renderIssue, renderUser, type Account, type RenderContext } from '../github-fixtures';
import type { RepoState, StoreChange } from './store';

export interface WebhookDelivery {
  id: string;
  event: string;
  action: string | undefined;
  repo: string | undefined;
  /** The issue number the payload is about, if any. */
  issue: number | undefined;
  /** The JSON text as sent (and signed). */
  body: string;
  sentAt: number;
  /** The receiver's status once it answered; `error` when it could not be reached. */
  status?: number;
  error?: string;
}

export interface WebhookConfig { url: string; secret: string; repo?: string }

export function createWebhooks(apiBase: string, htmlBase: string) {
  let config: WebhookConfig | null = null;
  const hookId = 480_000_000 + Math.floor(Math.random() * 1000);
  const deliveries: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<void>>();
  const ctx = (repo?: RepoState): RenderContext => ({ apiBase, htmlBase, fullName: repo?.fullName ?? '' });
  const repository = (repo: RepoState) => ({
    id: repo.id, node_id: `R_kgDO${repo.id}`, name: repo.name, full_name: repo.fullName, private: repo.private,
    owner: renderUser(repo.owner, ctx()), html_url: `${htmlBase}/${repo.fullName}`, url: `${apiBase}/repos/${repo.fullName}`,
    has_issues: repo.hasIssues, default_branch: 'main', visibility: repo.private ? 'private' : 'public',
  });
  const sender = (actor: Account) => renderUser(actor, ctx());

  function post(delivery: WebhookDelivery, target: WebhookConfig): void {
    const sign = (algo: 'sha1' | 'sha256') => `${algo}=${createHmac(algo, target.secret).update(delivery.body).digest('hex')}`;
    const sending = fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/double', 'x-github-event': delivery.event,
        'x-github-delivery': delivery.id, 'x-github-hook-id': String(hookId), 'x-hub-signature': sign('sha1'), 'x-hub-signature-256': sign('sha256'),
      },
      body: delivery.body,
      signal: AbortSignal.timeout(10_000), // GitHub gives a receiver 10 s
    }).then(async (res) => {
      await res.arrayBuffer();
      delivery.status = res.status;
    }, (err: unknown) => {
      delivery.error = err instanceof Error ? err.message : String(err);
    });
    const tracked = sending.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  function send(event: string, payload: Record<string, unknown>, repo?: RepoState, issue?: number): WebhookDelivery | undefined {
    const target = config;
    if (!target || (target.repo && repo && target.repo.toLowerCase() !== repo.fullName.toLowerCase())) return undefined;
    const delivery: WebhookDelivery = {
      id: randomUUID(), event, action: typeof payload.action === 'string' ? payload.action : undefined,
      repo: repo?.fullName, issue, body: JSON.stringify(payload), sentAt: Date.now(),
    };
    deliveries.push(delivery);
    post(delivery, target);
    return delivery;
  }

  return {
    /** Deliveries go to `url`, signed with `secret` (only for `repo` when given); null stops them. A ping is sent first. */
    set(next: WebhookConfig | null): void {
      config = next;
      if (next) {
        send('ping', {
          zen: 'Keep it logically awesome.', hook_id: hookId,
          hook: { type: 'Repository', id: hookId, active: true, events: ['issues', 'issue_comment'], config: { content_type: 'json', insecure_ssl: '0', url: next.url } },
        });
      }
    },
    /** The store's change listener: one delivery per change. */
    onChange(change: StoreChange): void {
      const base = { action: change.action, issue: renderIssue(change.rec, ctx(change.repo)), ...(change.changes ? { changes: change.changes } : {}) };
      const payload = change.event === 'issue_comment'
        ? { ...base, comment: renderComment(change.comment, ctx(change.repo)) }
        : base;
      send(change.event, { ...payload, repository: repository(change.repo), sender: sender(change.actor) }, change.repo, change.rec.number);
    },
    /** Sends a past delivery again: the same body, signature and delivery id (GitHub's "Redeliver"). */
    redeliver(id: string): WebhookDelivery {
      const past = deliveries.find((d) => d.id === id);
      if (!past) throw new Error(`GitHub double has no webhook delivery ${id}`);
      if (!config) throw new Error('GitHub double has no webhook set');
      const again: WebhookDelivery = { ...past, sentAt: Date.now() };
      delete again.status;
      delete again.error;
      deliveries.push(again);
      post(again, config);
      return again;
    },
    deliveries: (): WebhookDelivery[] => [...deliveries],
    /** Resolves once every delivery sent so far has been answered (or failed). */
    async settle(): Promise<void> {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
  };
}
export type Webhooks = ReturnType<typeof createWebhooks>;
