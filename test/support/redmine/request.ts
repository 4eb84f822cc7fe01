/** The one way tests talk REST to Redmine: admin key, JSON in and out, retries on sqlite lock 500s. */
import { sleep } from './process';
import type { Redmine } from './types';

export class RedmineHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`Redmine ${method} ${path} -> ${status}: ${body.slice(0, 500)}`);
    this.name = 'RedmineHttpError';
  }
}

export interface RequestOptions {
  /** Attempts on 5xx / connection errors (sqlite "database is locked" surfaces as 500). Default 10. */
  attempts?: number;
  /** Statuses returned instead of thrown (besides 2xx). */
  accept?: number[];
  headers?: Record<string, string>;
  /** Sent as is instead of `body` as JSON (an upload); set its content-type in `headers`. */
  rawBody?: Uint8Array;
}

export interface RmResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** One REST call with the admin key; JSON in and out; retries transient failures. */
export async function redmineRequest<T = unknown>(
  r: Redmine,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<RmResponse<T>> {
  const attempts = options.attempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${r.url}${path}`, {
        method,
        headers: {
          'X-Redmine-API-Key': r.apiKey,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
        ...(options.rawBody ? { body: options.rawBody } : body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(backoff(attempt));
      continue;
    }
    const text = await res.text();
    if (res.status >= 500 && attempt < attempts) {
      await sleep(backoff(attempt));
      continue;
    }
    if (!res.ok && !(options.accept ?? []).includes(res.status)) throw new RedmineHttpError(method, path, res.status, text);
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }
}

function backoff(attempt: number): number {
  return Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random());
}
