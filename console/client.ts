import type { Context } from 'hono';

/** Whatever answers API requests in-process: the API's Hono app. */
export interface ApiFetcher {
  request(input: string, init?: RequestInit, env?: unknown): Response | Promise<Response>;
}

/**
 * The API's answer: on a 2xx the body the route declares (`T`, a type from ./api-types), otherwise
 * whatever came back (usually the API's error body, which describeError reads). Check `ok` before `body`.
 */
export type ApiAnswer<T = unknown> = { status: number; headers: Headers } & ({ ok: true; body: T } | { ok: false; body: unknown });

/**
 * The console's one way to do anything: a request to the public API, in-process, carrying the
 * browser's own session cookie, Origin and (on writes) CSRF token. The API decides what is allowed.
 */
export function apiClient(api: ApiFetcher, c: Context, csrfToken?: string) {
  const origin = new URL(c.req.url).origin;
  return async function call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const forwarded: Record<string, string> = { ...headers };
    const cookie = c.req.header('cookie');
    if (cookie && !forwarded.authorization) forwarded.cookie = cookie;
    const browserOrigin = c.req.header('origin');
    if (browserOrigin) forwarded.origin = browserOrigin;
    // Believed by the API only when the socket's peer is a trusted proxy (TRUSTED_PROXIES), as for any request.
    const forwardedFor = c.req.header('x-forwarded-for');
    if (forwardedFor) forwarded['x-forwarded-for'] = forwardedFor;
    if (csrfToken && method !== 'GET') forwarded['x-csrf-token'] = csrfToken;
    if (body !== undefined) forwarded['content-type'] = 'application/json';
    // The server's env (the incoming socket) goes along, so the API's rate limit counts the browser's address.
    const res = await api.request(new URL(path, origin).toString(), { method, headers: forwarded, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, c.env);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch { /* not JSON: kept as text */ }
    // Not validated again here: each route's handler is type-checked against the schema `T` is inferred from.
    return res.ok ? { status: res.status, ok: true, body: parsed as T, headers: res.headers } : { status: res.status, ok: false, body: parsed, headers: res.headers };
  };
}

export type ApiCall = ReturnType<typeof apiClient>;

/** One line saying what went wrong, naming the fields the API named. */
export function describeError(answer: ApiAnswer<unknown>): string {
  const error = (answer.body as { error?: { code?: string; message?: string; fields?: { path: string; message: string }[] } } | null)?.error;
  if (!error) return `The API answered ${answer.status}`;
  const fields = error.fields?.length ? ` (${error.fields.map((f) => `${f.path}: ${f.message}`).join('; ')})` : '';
  return `${error.message ?? error.code ?? 'Error'}${fields} [${answer.status} ${error.code ?? ''}]`.replace(' ]', ']');
}

/** A route the API does not have (yet): the console says so instead of failing. */
export const isMissingRoute = (answer: ApiAnswer<unknown>) =>
  (answer.status === 404 && (answer.body as { error?: { message?: string } } | null)?.error?.message === 'No such route') || answer.status === 405;
