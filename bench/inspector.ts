// Reads a service process's memory from outside, through the inspector it was started
// with (`--inspect=127.0.0.1:<port>`): a full GC first (HeapProfiler.collectGarbage), then
// process.memoryUsage(), so a figure counts what the process holds, not garbage that
// happens not to have been collected yet. For the benchmarks only.
import WebSocket from 'ws';

export interface Inspector {
  memoryAfterGc(): Promise<{ rss: number; heapUsed: number }>;
  close(): void;
}

export async function inspect(port: number): Promise<Inspector> {
  const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  if (!target) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  let nextId = 0;
  const pending = new Map<number, { resolve: (result: any) => void; reject: (error: Error) => void }>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    const waiter = pending.get(message.id);
    if (!waiter) return; // an inspector event, not an answer
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(JSON.stringify(message.error)));
    else waiter.resolve(message.result);
  });
  const send = (method: string, params: unknown = {}) =>
    new Promise<any>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });

  return {
    async memoryAfterGc() {
      // Twice: the first collection may leave weakly-held objects for the second.
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
      const { result } = await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
      const usage = JSON.parse(result.value as string) as { rss: number; heapUsed: number };
      return { rss: usage.rss, heapUsed: usage.heapUsed };
    },
    close: () => socket.close(),
  };
}
