// Password hashing, bounded. Each scrypt run holds 32 MiB and one of libuv's four threads
// for tens of milliseconds (more on a busy machine): unbounded, a burst of sign-ins queues
// hashes by the hundred, every sign-in behind it waits into the gateway's timeout, and the
// threads that file, DNS and gzip work also run on are taken. So at most `concurrency` run
// at once, at most `queueLength` wait behind them, and a sign-in or sign-up past that is
// refused at once as busy: a fast answer the client can retry, never a slow one. A hash
// takes ten times longer on a saturated machine, so a place in the queue is also given up
// (busy) after `maxWaitMs`: the wait stays bounded in time, not only in places.
import { Counter } from 'prom-client';
import type { Metrics } from '../../platform/metrics.js';
import { passwordChecksBusy } from './errors.js';

export type KdfPurpose = 'logIn' | 'signUp';

export interface KdfSettings {
  /** Password hashes run at once. */
  concurrency: number;
  /** Password hashes waiting for a turn before more are refused. */
  queueLength: number;
  /** How long one may wait for its turn before it is refused. */
  maxWaitMs: number;
}

export interface KdfQueue {
  /** Runs `work` (which hashes a password) in its turn; throws RATE_LIMITED "busy" if the queue is full. */
  run<T>(purpose: KdfPurpose, work: () => Promise<T>): Promise<T>;
}

export function createKdfQueue({ concurrency, queueLength, maxWaitMs }: KdfSettings, metrics: Metrics): KdfQueue {
  const runs = new Counter({
    name: 'password_hashes_total',
    help: 'Password hashes run (each logIn that reached the password check, each signUp that hashed one), by purpose',
    labelNames: ['purpose'],
    registers: [metrics.registry],
  });
  const refused = new Counter({
    name: 'password_hashes_refused_total',
    help: 'Sign-ins and sign-ups refused as busy because the password-hash queue was full, by purpose',
    labelNames: ['purpose'],
    registers: [metrics.registry],
  });
  let running = 0;
  const waiting: (() => void)[] = [];
  const refuse = (purpose: KdfPurpose) => {
    refused.inc({ purpose });
    return passwordChecksBusy();
  };

  return {
    async run(purpose, work) {
      if (running < concurrency) {
        running += 1;
      } else if (waiting.length < queueLength) {
        // The finishing run hands its turn straight to the first in line (see below).
        await new Promise<void>((resolve, reject) => {
          const turn = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            waiting.splice(waiting.indexOf(turn), 1);
            reject(refuse(purpose));
          }, maxWaitMs);
          waiting.push(turn);
        });
      } else {
        throw refuse(purpose);
      }
      try {
        runs.inc({ purpose });
        return await work();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running -= 1;
      }
    },
  };
}
