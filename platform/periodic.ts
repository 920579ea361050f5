// A task run every `intervalMs` while the process runs, never two at once, and stopped
// cleanly (the stop waits for a run in progress), so a sweeper never outlives its database.
import type { Logger } from './logger.js';

export function runPeriodically(name: string, intervalMs: number, task: () => Promise<void>, log: Logger): () => Promise<void> {
  let current: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (current) return;
    current = task()
      .catch((error) => log.warn({ err: error, task: name }, `${name} failed; will try again`))
      .finally(() => {
        current = undefined;
      });
  }, intervalMs);
  // A sweeper alone must not keep the process alive.
  timer.unref();
  return async () => {
    clearInterval(timer);
    await current;
  };
}
