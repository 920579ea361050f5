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

/**
 * Work that runs when kicked (right after a commit that made some) and every
 * `intervalMs`, never two passes at once: a kick during a pass asks for one more pass
 * after it, and a pass that answers true (more is waiting) runs again at once. A pass
 * handles its own errors. stop() ends the timer and waits for a pass in progress.
 */
export interface Kickable {
  kick(): void;
  stop(): Promise<void>;
}

export function kickable(pass: () => Promise<boolean>, intervalMs: number): Kickable {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        if (await pass()) again = true;
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };
  const timer = setInterval(kick, intervalMs);
  timer.unref();
  return {
    kick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
