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

/**
 * Background work bound to a service's database from start to stop: the outbox relay and
 * the notification sender are each one `pass` over their table. The worker holds the
 * database while started (scrape-time gauges read it through `database()`), runs the pass
 * when kicked and every `intervalMs` (0: bound, for the gauges, but never run in this
 * process), and on stop waits for a pass in progress, then lets the worker close what it
 * opened (a transport, a mail connection).
 */
export interface DatabaseWorker<TDb> {
  /** Runs a pass soon (coalesced with one already running); nothing before start or after stop. */
  kick(): void;
  /** The database between start and stop, else undefined. */
  database(): TDb | undefined;
  /** Starts the passes; the returned function stops them and waits. */
  start(db: TDb, log: Logger): () => Promise<void>;
}

export function databaseWorker<TDb>(options: {
  name: string;
  intervalMs: number;
  /**
   * One pass; true when more work is waiting (it runs again at once). `stopping` is
   * aborted when stop() is called: a long pass ends early rather than hold the stop up.
   */
  pass(db: TDb, log: Logger, stopping: AbortSignal): Promise<boolean>;
  close?(): Promise<void>;
}): DatabaseWorker<TDb> {
  let db: TDb | undefined;
  let runner: Kickable | undefined;
  return {
    kick: () => runner?.kick(),
    database: () => db,
    start(database, log) {
      db = database;
      const stopping = new AbortController();
      const started =
        options.intervalMs > 0
          ? kickable(
              () =>
                options.pass(database, log, stopping.signal).catch((error: unknown) => {
                  log.warn({ err: error, task: options.name }, `${options.name} failed; will try again`);
                  return false;
                }),
              options.intervalMs,
            )
          : undefined;
      runner = started;
      return async () => {
        runner = undefined;
        stopping.abort();
        await started?.stop();
        db = undefined;
        await options.close?.();
      };
    },
  };
}
