// A TCP proxy between two services whose connection a test can break on purpose: drop
// the replies (the request arrives and is acted on, the answer is lost) or drop requests
// that match (they never arrive). Real sockets; nothing in the services is mocked.
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FaultyProxy {
  /** The target URL, rewritten to go through the proxy. */
  url: string;
  /** When set, every reply is lost: the connection is cut as the answer comes back. */
  dropReplies: boolean;
  /** When set, a request whose bytes match is cut before it reaches the target. */
  dropRequests: RegExp | null;
  /** When set, a request whose bytes match reaches the target, and its reply is lost (the connection is cut). */
  dropRepliesTo: RegExp | null;
  /** When set, every new connection is closed at once, as by a dead target. */
  refuse: boolean;
  /** When set, new connections are accepted and never answered, as by a hung or unreachable host. */
  blackhole: boolean;
  /** When above 0, each reply is held this long before it is passed on (a slow target). */
  replyDelayMs: number;
  /** When set, replies are held until releaseReplies() (a target that answers when the test says so). */
  holdReplies: boolean;
  /** Passes on every held reply and stops holding. */
  releaseReplies(): void;
  /** Connections accepted so far (refused ones included). */
  connections: number;
  /** The text of every request chunk that passed through, in order (headers and bodies). */
  requests: string[];
  /** Cuts every open connection, as a target's death does (with `refuse`, it stays dead). */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  const cut = (...pair: Socket[]) => pair.forEach((socket) => socket.destroy());
  const held: (() => void)[] = [];
  const server = createServer((client) => {
    proxy.connections += 1;
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    if (proxy.blackhole) {
      sockets.add(client);
      client.on('error', () => {});
      client.on('close', () => sockets.delete(client));
      return;
    }
    const upstream = connect(Number(targetUrl.port), targetUrl.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => cut(client, upstream));
      socket.on('close', () => {
        sockets.delete(socket);
        // A slow target's last reply is still on its way to the client: close after it.
        if (socket === upstream && proxy.replyDelayMs > 0) setTimeout(() => cut(client), proxy.replyDelayMs);
        else cut(client, upstream);
      });
    }
    let replyDoomed = false;
    client.on('data', (chunk: Buffer) => {
      if (proxy.blackhole) return; // swallowed: the request never arrives, no answer comes
      proxy.requests.push(chunk.toString('utf8'));
      if (proxy.dropRepliesTo?.test(chunk.toString('utf8'))) replyDoomed = true;
      if (proxy.dropRequests?.test(chunk.toString('utf8'))) cut(client, upstream);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (proxy.dropReplies || replyDoomed) cut(client, upstream);
      else if (proxy.holdReplies) held.push(() => client.write(chunk));
      else if (proxy.replyDelayMs > 0) setTimeout(() => client.write(chunk), proxy.replyDelayMs);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const proxyUrl = new URL(target);
  proxyUrl.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy: FaultyProxy = {
    url: proxyUrl.toString(),
    dropReplies: false,
    dropRequests: null,
    dropRepliesTo: null,
    refuse: false,
    blackhole: false,
    replyDelayMs: 0,
    holdReplies: false,
    releaseReplies() {
      proxy.holdReplies = false;
      held.splice(0).forEach((write) => write());
    },
    connections: 0,
    requests: [],
    cutAll: () => sockets.forEach((socket) => socket.destroy()),
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
  return proxy;
}
