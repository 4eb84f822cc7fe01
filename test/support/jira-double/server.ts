/** The HTTP side of the Jira double: the request log, faults, authentication, then the routes. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Faults } from '../github-double/faults';
import { errorReply, type Call, type Reply } from './routes';
import type { Deployment } from './types';

export interface RequestRecord { seq: number; method: string; path: string; query: Record<string, string>; status: number; at: number; body: unknown }
export interface RequestFilter { method?: string; path?: string | RegExp; status?: number }

export const filterRequests = (log: RequestRecord[], filter: RequestFilter = {}): RequestRecord[] => log.filter((r) =>
  (filter.method === undefined || r.method === filter.method.toUpperCase()) && (filter.status === undefined || r.status === filter.status)
  && (filter.path === undefined || (typeof filter.path === 'string' ? r.path === filter.path : filter.path.test(r.path))));

/** One answered request, for a contract check to read (see test/support/jira-contract.ts). */
export interface Exchange { method: string; path: string; status: number; body: unknown; injected: boolean }

export interface ServeDeps {
  deployment: Deployment;
  credential: () => string;
  faults: Faults;
  route: (call: Call) => Promise<Reply>;
  now: () => number;
  log: RequestRecord[];
  observers: Array<(exchange: Exchange) => void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function createServe({ deployment, credential, faults, route, now, log, observers }: ServeDeps) {
  return async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const json = (req.headers['content-type'] ?? '').includes('application/json');
    let body: unknown = {};
    let bad = false;
    if (json && raw.byteLength > 0) {
      try { body = JSON.parse(raw.toString('utf8')); } catch { bad = true; }
    }
    const entry: RequestRecord = { seq: log.length + 1, method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: now(), body };
    log.push(entry);
    const fault = await faults.apply({ method, path: url.pathname, query: entry.query, headers: req.headers }, () => undefined);
    if (fault?.kind === 'disconnect') { req.socket.destroy(); return; }
    let reply: Reply;
    if (fault?.kind === 'status') reply = { status: fault.status, body: fault.body ?? { errorMessages: [`fault ${fault.status}`], errors: {} }, headers: fault.headers ?? {} };
    else if (req.headers.authorization !== credential()) {
      // Jira answers 401 for a missing or wrong credential, with this text and a JSON content type on Cloud.
      reply = errorReply(401, ['Client must be authenticated to access this resource.']);
    } else if (bad) reply = errorReply(400, ['Unexpected character: the body is not valid JSON.']);
    else reply = await route({ method, url, base: url.origin, body, raw, headers: req.headers });
    const headers: Record<string, string> = {
      // The double's own clock, which may be frozen: reset instants are read against it.
      date: new Date(now()).toUTCString(), 'x-arequestid': `${entry.seq}x${now()}`, ...(deployment === 'cloud' ? { 'atl-traceid': entry.seq.toString(16).padStart(16, '0') } : {}), ...reply.headers,
    };
    for (const observe of observers) observe({ method, path: url.pathname, status: reply.status, body: reply.body, injected: fault !== undefined });
    entry.status = reply.status;
    if (reply.bytes) res.writeHead(reply.status, { 'content-type': 'application/octet-stream', ...headers }).end(reply.bytes);
    else if (reply.body === undefined) res.writeHead(reply.status, headers).end();
    else res.writeHead(reply.status, { 'content-type': 'application/json;charset=UTF-8', ...headers }).end(JSON.stringify(reply.body));
  };
}

/** Listens on `host:port`; a handler that throws answers 500. */
export async function listen(serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errorMessages: [`double failed: ${String(err)}`], errors: {} }));
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
