/** A scripted fetch and an HTTP client on a fake clock, shared by the connectors' HTTP tests. */
import { type RemoteError, isRemoteError } from '../../connectors/errors';
import { createHttpClient, type HttpClientOptions } from '../../connectors/http';

export const NOW = Date.parse('2024-06-01T12:00:00Z');
export const DATE = new Date(NOW).toUTCString();
export const TOKEN = 'ghp_supersecrettoken123';

type Reply = { status: number; headers?: Record<string, string>; body?: unknown };

/** A fetch that answers from a script and records what it was asked. */
function scriptedFetch(replies: Array<Reply | Error>) {
  const calls: Array<{ url: string; method: string; headers: Headers; body: string | null }> = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: (init?.body as string | null) ?? null });
    const reply = replies.shift() ?? { status: 500 };
    if (reply instanceof Error) throw reply;
    const body = reply.body === undefined ? null : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    return new Response(reply.status === 304 || reply.status === 204 ? null : body, {
      status: reply.status,
      headers: { 'content-type': 'application/json', date: DATE, ...reply.headers },
    });
  }) as typeof fetch;
  return { fetchFn, calls };
}

/** An HTTP client over a scripted fetch whose sleeps advance a fake clock instead of waiting. */
export function client(replies: Array<Reply | Error>, overrides: Partial<HttpClientOptions> = {}) {
  const { fetchFn, calls } = scriptedFetch(replies);
  const sleeps: number[] = [];
  let clock = NOW;
  const http = createHttpClient({
    service: 'Test',
    baseUrl: 'https://api.example.test/api/v3/',
    headers: { authorization: `Bearer ${TOKEN}` },
    secrets: [TOKEN],
    fetch: fetchFn,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...overrides,
  });
  return { http, calls, sleeps };
}

/** The RemoteError `promise` rejects with; anything else fails the test. */
export async function failure(promise: Promise<unknown>): Promise<RemoteError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  if (!isRemoteError(error)) throw new Error(`expected a RemoteError, got ${String(error)}`);
  return error;
}
