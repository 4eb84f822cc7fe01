/** The HTTP side of the double: faults, the token and rate-limit gate, routing, ETag/304 and the request log. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Account } from '../github-fixtures';
import { sleep, type Clock } from './clock';
import type { DoubleRequest, Fault, Faults } from './faults';
import type { RateLimits, RateResource } from './limits';
import { fail, faultReply, type Call, type Reply } from './reply';

export interface RequestRecord extends Omit<DoubleRequest, 'headers'> {
  seq: number;
  /** 0 while in flight (or hung, or disconnected by a fault). */
  status: number;
  /** Whether the request carried If-None-Match. */
  conditional: boolean;
  at: number;
  fault?: Fault['kind'];
}

export interface RequestFilter { method?: string; path?: string | RegExp; status?: number; conditional?: boolean }

export const filterRequests = (log: RequestRecord[], filter: RequestFilter = {}): RequestRecord[] => log.filter((r) =>
  (filter.method === undefined || r.method === filter.method.toUpperCase()) && (filter.status === undefined || r.status === filter.status)
  && (filter.conditional === undefined || r.conditional === filter.conditional)
  && (filter.path === undefined || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))));

/** What the handle changes while the double runs. */
export interface ServeState { token: string; latencyMs: number; log: RequestRecord[]; seq: number }

interface ServeDeps {
  state: ServeState; clock: Clock; limits: RateLimits; faults: Faults; route: (call: Call) => Reply; viewer: Account;
  primaryLimitStatus: 403 | 429;
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return (ifNoneMatch ?? '').split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === etag || t === '*');
}

/** An empty body reads as `{}`; undefined means it was not JSON. */
function parseJson(raw: string): unknown {
  try {
    return raw ? (JSON.parse(raw) as unknown) : {};
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The request handler: every request is logged, then meets faults, auth and rate limits before the router. */
export function createServe({ state, clock, limits, faults, route, viewer, primaryLimitStatus }: ServeDeps) {
  function authorize(url: URL, headers: IncomingHttpHeaders, resource: RateResource): Reply | undefined {
    const presented = /^(?:bearer|token)\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    if (presented !== state.token) return { ...fail(401, 'Bad credentials'), charge: false };
    if (url.pathname === '/rate_limit' || !limits.exhausted(resource)) return undefined;
    const message = `API rate limit exceeded for user ID ${viewer.id}. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(4).toString('hex').toUpperCase()}.`;
    return { ...fail(primaryLimitStatus, message), charge: false };
  }

  return async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams);
    const entry: RequestRecord = { seq: ++state.seq, method, path: url.pathname, query, status: 0, conditional: req.headers['if-none-match'] !== undefined, at: clock.now() };
    state.log.push(entry);
    const raw = await readBody(req);
    if (state.latencyMs > 0) await sleep(state.latencyMs);
    const fault = await faults.apply({ method, path: url.pathname, query, headers: req.headers }, (kind) => { entry.fault = kind; });
    if (fault?.kind === 'disconnect') { req.socket.destroy(); return; }
    const resource: RateResource = url.pathname.startsWith('/search/') ? 'search' : 'core';
    let reply = fault ? faultReply(fault) : authorize(url, req.headers, resource);
    if (!reply) {
      const body = parseJson(raw);
      reply = body === undefined ? fail(400, 'Problems parsing JSON') : route({ method, url, base: url.origin, body, headers: req.headers });
    }
    let status = reply.status;
    let payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8', 'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json', 'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(), ...reply.headers,
    };
    if (method === 'GET' && status === 200) {
      headers.etag = `"${createHash('sha1').update(payload).digest('hex')}"`;
      // GitHub documents that a 304 does not count against the primary rate limit.
      if (etagMatches(req.headers['if-none-match'], headers.etag)) { status = 304; payload = ''; }
    }
    if (reply.charge && status !== 304) limits.charge(resource);
    // A fault's own headers win over the budget's: a test may replay a response with odd rate-limit headers.
    res.writeHead(status, { ...headers, ...limits.headers(resource), ...(fault ? reply.headers : {}) }).end(payload);
    entry.status = status;
  };
}

/** Listens on `host:port`; a handler that throws answers 500. */
export async function listen(serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `double failed: ${String(err)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
