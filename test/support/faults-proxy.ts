import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './process';
import { track } from './resources';

export interface TcpProxy {
  readonly address: string;
  /** Listens (again) on the same port and forwards to the target. */
  open(): Promise<void>;
  /** An outage: stops listening and cuts every forwarded connection. */
  cut(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP forwarder on a fixed local port that a test can cut and restore: a server going away and coming back. */
export async function startTcpProxy(target: string, opts: { open?: boolean } = {}): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const listenPort = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const untrack = track(`tcp proxy ${listenPort}`);
  const proxy: TcpProxy = {
    address: `127.0.0.1:${listenPort}`,
    async open() {
      if (server) return;
      server = createServer((client) => {
        const upstream = connect(port, host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(listenPort, '127.0.0.1', resolve));
    },
    async cut() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise((r) => s.close(r));
    },
    async close() {
      await proxy.cut();
      untrack();
    },
  };
  if (opts.open ?? true) await proxy.open();
  return proxy;
}
