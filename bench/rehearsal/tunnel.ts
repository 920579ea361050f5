// Runs inside one of the rehearsal's namespaces and lets a process outside it open TCP
// connections from there: each connection to the Unix socket (a file, which every namespace
// sees) starts with a line `host:port`, and the rest is piped to that address. The
// rehearsal's client talks to the gateway this way, as if it sat on the gateway's host;
// no port of the machine's own network is used.
//   node dist/bench/rehearsal/tunnel.js /run/…/tunnel.sock
import { createConnection, createServer, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

const path = process.argv[2];
if (!path) throw new TypeError('usage: tunnel.js <unix socket path>');
rmSync(path, { force: true });

createServer((client: Socket) => {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\n');
    if (end < 0) return;
    client.off('data', onData);
    client.pause();
    const [host, port] = head.subarray(0, end).toString('utf8').split(':');
    const upstream = createConnection({ host, port: Number(port), noDelay: true }, () => {
      const rest = head.subarray(end + 1);
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  };
  client.on('data', onData);
}).listen(path, () => console.log('tunnel ready'));

process.on('SIGTERM', () => process.exit(0));
