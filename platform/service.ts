// Running one service as a process: start, log where it listens, stop cleanly on a signal.
// With WORKERS > 1 the process is a cluster primary that runs that many workers behind
// the one port (Node's cluster module hands each connection to a worker in turn), starts
// them one after another (so migrations and seeding happen once, in the first), replaces
// a worker that dies, and on a signal stops them all gracefully.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './logger.js';
import { ConfigError, envInt } from './config.js';
import { serveClusterMetrics } from './metrics.js';
import { startTracing, stopTracing, type TracingOptions } from './tracing.js';

export interface Stoppable {
  url: string;
  stop(): Promise<void>;
}

/** Worker processes per service (WORKERS); 1 runs the service in this process. */
export function readWorkers(env: Record<string, string | undefined> = process.env): number {
  return envInt(env, 'WORKERS', 1, { min: 1, max: 64 });
}

/** Starts tracing if OTEL_* asks for it (docs/tracing.md); a malformed variable ends the process with a one-line message. */
export async function startServiceTracing(name: string, options: TracingOptions = {}): Promise<void> {
  try {
    await startTracing(name, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  }
}

/**
 * Starts a service and keeps it up until SIGTERM or SIGINT, then stops it (in-flight
 * requests finish, databases close). A configuration error ends the process with a
 * one-line message naming the variable, not a stack.
 */
export async function runService(name: string, log: Logger, start: () => Promise<Stoppable>): Promise<void> {
  let workers: number;
  try {
    workers = readWorkers();
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}`);
    process.exit(1);
  }
  if (workers > 1 && cluster.isPrimary) return runPrimary(name, log, workers);

  let running: Stoppable;
  try {
    running = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
    } else {
      log.fatal({ err: error }, `${name} failed to start`);
    }
    process.exit(1);
  }
  log.info({ url: running.url, ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}) }, `${name} ready`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    try {
      await running.stop();
      // The last spans (this stop's own requests) are sent, within a bound.
      await stopTracing();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, `${name} did not stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker is told to stop by its primary; a primary that vanished leaves it orphaned.
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary gone'));
}

async function runPrimary(name: string, log: Logger, count: number): Promise<void> {
  let stopping = false;
  const listening = new WeakSet<Worker>();
  const fork = () =>
    new Promise<Worker>((resolve, reject) => {
      const worker = cluster.fork();
      worker.once('listening', () => {
        listening.add(worker);
        resolve(worker);
      });
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before listening`)));
    });
  // A worker that had been serving and died is replaced; one that died starting up is a
  // start-up failure (handled below), not something to retry forever.
  cluster.on('exit', (worker, code, signal) => {
    if (stopping || !listening.has(worker)) return;
    log.error({ worker: worker.id, code, signal }, `${name} worker died; starting another`);
    fork().catch((error: unknown) => log.error({ err: error }, `${name} could not replace a worker`));
  });
  serveClusterMetrics();

  // Signals are handled from the start: a stop may come while workers are still starting.
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping its workers`);
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => Boolean(worker));
    // A worker still starting has no handler yet and simply ends by the signal: also clean.
    const exits = workers.map((worker) => new Promise<boolean>((resolve) => worker.once('exit', (code, signal) => resolve(code === 0 || signal === 'SIGTERM'))));
    for (const worker of workers) worker.process.kill('SIGTERM');
    const clean = await Promise.all(exits);
    process.exit(clean.every(Boolean) ? 0 : 1);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  try {
    for (let i = 0; i < count; i++) await fork(); // one after another: the first migrates
  } catch (error) {
    if (stopping) return;
    log.fatal({ err: error }, `${name} failed to start its workers`);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGKILL');
    process.exit(1);
  }
  log.info({ workers: count }, `${name} ready with ${count} workers`);
}
