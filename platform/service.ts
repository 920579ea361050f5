// Running one service as a process: start, log where it listens, stop cleanly on a signal.
import type { Logger } from './logger.js';
import { ConfigError } from './config.js';

export interface Stoppable {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a service and keeps it up until SIGTERM or SIGINT, then stops it (in-flight
 * requests finish, databases close). A configuration error ends the process with a
 * one-line message naming the variable, not a stack.
 */
export async function runService(name: string, log: Logger, start: () => Promise<Stoppable>): Promise<void> {
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
  log.info({ url: running.url }, `${name} ready`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, `${name} stopping`);
    try {
      await running.stop();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, `${name} did not stop cleanly`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
