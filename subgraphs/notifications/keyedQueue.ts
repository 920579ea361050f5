// Runs tasks with bounded concurrency while keeping tasks that share a key in the order
// they were given: events of different orders are applied side by side, one order's
// events one after another.
export interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Resolves once fewer than the limit are running or waiting (for a consumer's back-pressure). */
  room(): Promise<void>;
  /** Resolves once everything given so far has finished. */
  idle(): Promise<void>;
}

export function createKeyedQueue(limit: number): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  let active = 0;
  let pending = 0;
  const waiting: (() => void)[] = [];
  const roomWaiters: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];

  const acquire = () => (active < limit ? (active++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(() => (active++, resolve()))));
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  const settled = () => {
    pending--;
    if (pending < limit) roomWaiters.splice(0).forEach((wake) => wake());
    if (pending === 0) idleWaiters.splice(0).forEach((wake) => wake());
  };

  return {
    run(key, task) {
      pending++;
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(async () => {
        await acquire();
        try {
          return await task();
        } finally {
          release();
        }
      });
      const tail = result.then(() => undefined, () => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
        settled();
      });
      return result;
    },
    room: () => (pending < limit ? Promise.resolve() : new Promise<void>((resolve) => roomWaiters.push(resolve))),
    idle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
  };
}
