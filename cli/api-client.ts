import { readFileSync } from 'node:fs';
import { CliError, hideSecrets } from './output';

export interface ApiOptions {
  api?: string;
  tokenFile?: string;
}

export interface ApiClient {
  baseUrl: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

export const DEFAULT_API_URL = 'http://localhost:3000';

/**
 * The token comes from TRACKBRIDGE_TOKEN or the file `--token-file` names, never from a flag: a flag
 * lands in shell history and in `ps` output for every user of the machine.
 */
function readToken(opts: ApiOptions, env: NodeJS.ProcessEnv): string {
  let token = env.TRACKBRIDGE_TOKEN?.trim();
  if (opts.tokenFile) {
    try {
      token = readFileSync(opts.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`cannot read the token file ${opts.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'usage');
    }
  }
  if (!token) throw new CliError('no API token: set TRACKBRIDGE_TOKEN or pass --token-file <path> (create one with `npm run token -- create <name>`)', 'usage');
  hideSecrets(token);
  return token;
}

interface ErrorBody { error?: { code?: string; message?: string; fields?: { path: string; message: string }[] } }

/** A fetch client for the operator commands: JSON in and out, one clear error line for any failure. */
export function apiClient(opts: ApiOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const baseUrl = (opts.api ?? env.TRACKBRIDGE_API_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new CliError(`--api ${baseUrl} is not a URL`, 'usage');
  }
  const token = readToken(opts, env);
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the API at ${baseUrl}: ${cause}`, 'transient');
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const error = (json as ErrorBody | undefined)?.error;
      const fields = error?.fields?.length ? ` (${error.fields.map((f) => `${f.path}: ${f.message}`).join('; ')})` : '';
      const retry = res.headers.get('retry-after');
      throw new CliError(
        `${method} ${path} answered ${res.status}${error?.code ? ` ${error.code}` : ''}: ${error?.message ?? (text.slice(0, 200) || res.statusText)}${fields}${retry ? ` (retry after ${retry} s)` : ''}`,
        res.status === 401 || res.status === 403 ? 'auth' : res.status >= 500 ? 'transient' : 'api',
      );
    }
    return json as T;
  }
  return {
    baseUrl,
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    delete: (path) => call('DELETE', path),
  };
}
