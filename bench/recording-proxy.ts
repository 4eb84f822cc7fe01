import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  /** From the request's arrival to the last byte of the answer. */
  ms: number;
  /** Date.now() at the request's arrival. */
  at: number;
  /** The request body of a write (non-GET), as text. */
  body?: string;
}

export interface RecordingProxy {
  url: string;
  requests(): ProxiedRequest[];
  reset(): void;
  /** Stops listening, as a stopped server does: connections are refused until `up()`. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'accept-encoding']);

async function body(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? Buffer.concat(chunks) : undefined;
}

/**
 * A pass-through HTTP proxy that records every request and its duration. Put in front of a real
 * remote (Redmine), it tells how many requests a sync made and where their time went; both
 * trackbridge and the baseline go through it, so it costs them the same.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  let log: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    const started = performance.now();
    const at = Date.now();
    let sent: string | undefined;
    const url = new URL(req.url ?? '/', target);
    void (async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => !HOP_HEADERS.has(k) && typeof v === 'string')) as Record<string, string>;
      const raw = await body(req);
      if (raw && req.method !== 'GET') sent = raw.toString('utf8');
      const upstream = await fetch(url, { method: req.method ?? 'GET', headers, body: raw ?? null, redirect: 'manual' });
      const payload = Buffer.from(await upstream.arrayBuffer());
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => { if (!HOP_HEADERS.has(k) && k !== 'content-encoding') out[k] = v; });
      res.writeHead(upstream.status, { ...out, 'content-length': String(payload.length) }).end(payload);
      log.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, status: upstream.status, ms: performance.now() - started, at, ...(sent !== undefined ? { body: sent } : {}) });
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy failed: ${String(err)}`);
      log.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, status: 502, ms: performance.now() - started, at, ...(sent !== undefined ? { body: sent } : {}) });
    });
  });
  const listen = (on: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(on, '127.0.0.1', () => {
    server.off('error', reject);
    resolve();
  }));
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...log],
    reset: () => { log = []; },
    down: close,
    up: () => listen(port),
    close,
  };
}
