import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy, as the kit's checks read it afterwards. */
export interface ProxiedRequest {
  seq: number;
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The status the connector saw: the remote's, an injected one, or 0 when the connection was cut. */
  status: number;
  /** Whether it carried If-None-Match or If-Modified-Since. */
  conditional: boolean;
  /** Milliseconds on this machine's clock, when the request arrived. */
  at: number;
  injected: boolean;
  /** For a request cut after forwarding: what the remote answered, which the connector never saw. */
  forwardedStatus?: number;
}

/** What the next matching requests meet instead of (or after) the remote. */
export interface FaultRule {
  /** An HTTP status answered without asking the remote. */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /**
   * `cut-after-forward`: the request reaches the remote and is acted on, then the connection is cut
   * before the answer arrives (a worker dying mid-create).
   */
  mode?: 'answer' | 'cut-after-forward';
  /** How many requests meet it (default 1; Infinity until clearFaults). */
  times?: number;
  /** Which requests: these methods only (default all). */
  methods?: readonly string[];
  /** Which requests: those whose body matches (a GraphQL mutation, where reads and writes are all POSTs). */
  requestBody?: RegExp;
}

export interface FaultProxy {
  /** The proxy's base URL: its origin plus the path of the server it forwards to. */
  readonly url: string;
  readonly requests: readonly ProxiedRequest[];
  /** The position in the log now: `since(mark())` is what a call made afterwards sent. */
  mark(): number;
  since(mark: number): ProxiedRequest[];
  inject(rule: FaultRule): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const INJECTED_BODY = JSON.stringify({ message: 'fault injected by the trackbridge conformance kit' });

async function drain(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A local HTTP proxy in front of the author's test server, so that the kit can inject faults into
 * any connector without knowing its remote. The Host header is kept, so that absolute links the
 * server builds from it (GitHub's Link pagination) point back at the proxy.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
  const log: ProxiedRequest[] = [];
  let faults: Array<FaultRule & { left: number }> = [];

  function takeFault(method: string, body: Buffer): FaultRule | undefined {
    const rule = faults.find((f) => f.left > 0 && (!f.methods || f.methods.includes(method)) && (!f.requestBody || f.requestBody.test(body.toString('utf8'))));
    if (rule) rule.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return rule;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: ProxiedRequest = {
      seq: log.length, method, url: req.url ?? '/', status: 0, at: Date.now(), injected: false,
      conditional: req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined,
    };
    log.push(entry);
    const body = await drain(req);
    const fault = takeFault(method, body);
    if (fault && (fault.mode ?? 'answer') === 'answer') {
      entry.injected = true;
      entry.status = fault.status ?? 503;
      res.writeHead(entry.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body ?? INJECTED_BODY);
      return;
    }
    const headers = { ...req.headers, 'x-forwarded-host': req.headers.host ?? '' };
    const forwarded = send({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path: req.url, headers }, (answer) => {
      const acted = (answer.statusCode ?? 500) < 300;
      if (fault && acted) {
        // The remote did its work; the connector never hears of it.
        entry.injected = true;
        entry.forwardedStatus = answer.statusCode ?? 0;
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      // The remote refused (a 500 from a busy server): nothing to lose yet, so the fault waits for the next write.
      if (fault) faults.push({ ...fault, left: 1 });
      entry.status = answer.statusCode ?? 502;
      res.writeHead(entry.status, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', (error) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `conformance kit proxy: ${error.message}` }));
    });
    forwarded.end(body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const path = upstream.pathname.replace(/\/+$/, '');

  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests: log,
    mark: () => log.length,
    since: (mark) => log.slice(mark),
    inject: (rule) => void faults.push({ ...rule, left: rule.times ?? 1 }),
    clearFaults: () => { faults = []; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
