// A host whose SYNs go unanswered, on loopback and without root: a process that listens
// with a backlog of one and never accepts (its thread is parked, not spinning), its accept
// queue then filled by connections of our own. Linux drops further SYNs to a full queue,
// so a new connect hangs as it would towards a host gone from the network (no refusal, no
// reset) until the client gives up.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';

const PARKED_LISTENER = `
const { createServer } = require('node:net');
const { writeSync } = require('node:fs');
const server = createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  writeSync(1, server.address().port + '\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

export interface UnansweredHost {
  /** An http:// URL on it. */
  url: string;
  stop(): Promise<void>;
}

export async function startUnansweredHost(): Promise<UnansweredHost> {
  const child: ChildProcess = spawn(process.execPath, ['-e', PARKED_LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
  });
  // Fill the queue: connect until one connect stays pending. The kernel completes as many
  // handshakes as the queue holds (two for a backlog of one), then drops SYNs.
  const fillers: Socket[] = [];
  for (let i = 0; ; i++) {
    if (i >= 16) throw new Error('the accept queue never filled: connects to a parked listener kept completing');
    const socket = connect(port, '127.0.0.1').on('error', () => {});
    fillers.push(socket);
    const completed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1000);
      socket.once('connect', () => (clearTimeout(timer), resolve(true)));
    });
    if (!completed) break;
  }
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      fillers.forEach((socket) => socket.destroy());
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
