import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface DelayingProxy {
  /** `targetUrl` with its host and port replaced by the proxy's. */
  url: string;
  close(): Promise<void>;
}

/** Forwards one client connection to the target, holding the server's first bytes back by `delayMs`. */
function relay(client: Socket, target: { host: string; port: number }, delayMs: number): Socket {
  const upstream = connect(target.port, target.host);
  let timer: NodeJS.Timeout | undefined;
  // A reset on either side ends both: the other peer then sees the connection drop, as it would without us.
  const teardown = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', teardown);
  upstream.on('error', teardown);
  client.pipe(upstream);
  // The backend is up and counted in its database while the client still waits, as on a slow machine.
  upstream.once('readable', () => {
    if (!client.destroyed) timer = setTimeout(() => upstream.pipe(client), delayMs);
  });
  client.once('close', () => {
    clearTimeout(timer);
    // Lets the server see the end of the connection, and drains whatever it still sends to nobody.
    upstream.end();
    upstream.removeAllListeners('readable');
    upstream.resume();
  });
  return upstream;
}

/**
 * A loopback TCP proxy in front of the PostgreSQL server of `targetUrl` that delays the server's first answer
 * on each connection (to the startup message) by `delayMs`: every connection then costs that much more to
 * open, and its backend stays killable meanwhile, as on a machine where opening a connection is slow.
 */
export async function startDelayingProxy(targetUrl: string, delayMs: number): Promise<DelayingProxy> {
  const url = new URL(targetUrl);
  const target = { host: url.hostname, port: Number(url.port || 5432) };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    for (const socket of [client, relay(client, target, delayMs)]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
