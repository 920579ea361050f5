// Keeps `npm start`'s processes running. A process that dies after it has been ready is
// restarted after a delay that doubles with each death (0.5 s up to 30 s, back to 0.5 s
// once it has stayed up a minute), while the others go on serving; one that dies five
// times within two minutes is given up on, with what it printed last. A process that
// dies before it was ever ready is a start-up failure (a bad setting, a port in use):
// restarting it would only repeat the error, so that stops everything instead.
// Plain JavaScript, like start.mjs, so that it runs on any Node.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** @typedef {{ name: string, entry: string, port: number | string, color: number }} Service */

export const RESTART_POLICY = {
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  /** Up (ready) this long, a process's next death starts the delays from the first again. */
  healthyAfterMs: 60_000,
  /** This many deaths within `deathWindowMs` and the service is given up on. */
  maxDeaths: 5,
  deathWindowMs: 120_000,
};

const READY_POLL_MS = 200;
/** Lines of a process's output kept for the report when its service is given up on. */
const LAST_LINES = 15;

export class Supervisor {
  /**
   * @param {object} options
   * @param {string} options.node the Node binary to run each service with
   * @param {string[]} options.nodeFlags
   * @param {string} options.cwd
   * @param {Record<string, string | undefined>} options.env
   * @param {(error: Error) => void} options.onStartupFailure called when a process dies before it was ever ready
   * @param {(line: string) => string} [options.formatLine] how a line a process printed is shown (logFormat.mjs)
   * @param {typeof RESTART_POLICY} [options.policy]
   */
  constructor({ node, nodeFlags, cwd, env, onStartupFailure, formatLine = (line) => line, policy = RESTART_POLICY }) {
    this.node = node;
    this.nodeFlags = nodeFlags;
    this.cwd = cwd;
    this.env = env;
    this.onStartupFailure = onStartupFailure;
    this.formatLine = formatLine;
    this.policy = policy;
    this.stopping = false;
    /** @type {Map<string, any>} one entry per service: its current process and its history */
    this.entries = new Map();
  }

  /** Starts a service's first process and resolves once it answers /ready; rejects if it is not ready within `readyTimeoutMs`. */
  async start(/** @type {Service} */ service, readyTimeoutMs) {
    const entry = { service, deaths: [], delayMs: this.policy.firstDelayMs, everReady: false, timer: undefined };
    this.entries.set(service.name, entry);
    this.launch(entry, 'started');
    await this.waitReady(entry, Date.now() + readyTimeoutMs);
  }

  /** Stops every process (SIGTERM, then SIGKILL after `graceMs`) and cancels pending restarts; resolves true if all stopped cleanly. */
  async stop(graceMs) {
    this.stopping = true;
    const live = [...this.entries.values()].filter((entry) => {
      clearTimeout(entry.timer);
      return entry.child && entry.child.exitCode === null && entry.child.signalCode === null;
    });
    const exits = live.map(({ child }) => new Promise((resolve) => child.once('exit', (code) => resolve(code))));
    for (const { child } of live) child.kill('SIGTERM');
    let clean = true;
    const timer = setTimeout(() => {
      console.error(`Still running after ${graceMs / 1000} s: killing what is left.`);
      clean = false;
      for (const { child } of live) child.kill('SIGKILL');
    }, graceMs);
    const codes = await Promise.all(exits);
    clearTimeout(timer);
    // No code: ended by a signal, our SIGTERM before it had a handler (still starting) or a
    // death that crossed the stop; only a non-zero code says a stop went wrong.
    return clean && codes.every((code) => code === 0 || code === null);
  }

  // Private: one process of a service, its output prefixed with the service's name.
  launch(entry, verb) {
    const { service } = entry;
    const child = spawn(this.node, [...this.nodeFlags, service.entry], { cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const label = `\x1b[${service.color}m${service.name.padEnd(13)}\x1b[0m|`;
    const lines = [];
    const closed = new Promise((resolve) => child.once('close', resolve));
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(`${label} ${this.formatLine(line)}`);
        lines.push(line);
        if (lines.length > LAST_LINES) lines.shift();
      });
    }
    Object.assign(entry, { child, lines, closed, launchedAt: Date.now(), readyAt: undefined });
    console.log(`${service.name} ${verb} (pid ${child.pid})`);
    let gone = false;
    const onGone = (how) => {
      if (gone || this.stopping || entry.child !== child) return;
      gone = true;
      if (!entry.everReady) {
        this.onStartupFailure(new Error(`${service.name} exited (${how}) before it was ready; stopping the others.`));
        return;
      }
      this.died(entry, how);
    };
    child.on('exit', (code, signal) => onGone(signal ?? `code ${code}`));
    // Node could not run it at all; 'exit' may then never come.
    child.on('error', (error) => onGone(`could not be run: ${error.message}`));
  }

  // Private: a ready service's process died: restart it after its delay, or give up on it.
  died(entry, how) {
    const { name } = entry.service;
    const now = Date.now();
    const { firstDelayMs, maxDelayMs, healthyAfterMs, maxDeaths, deathWindowMs } = this.policy;
    if (entry.readyAt !== undefined && now - entry.readyAt >= healthyAfterMs) entry.delayMs = firstDelayMs;
    entry.deaths = [...entry.deaths.filter((at) => now - at < deathWindowMs), now];
    if (entry.deaths.length >= maxDeaths) {
      void this.giveUp(entry, how);
      return;
    }
    const delayMs = entry.delayMs;
    entry.delayMs = Math.min(delayMs * 2, maxDelayMs);
    console.error(`${name} exited (${how}); restarting it in ${delayMs / 1000} s. The other services keep running.`);
    entry.diedAt = now;
    entry.timer = setTimeout(() => {
      if (this.stopping) return;
      this.launch(entry, 'restarted');
      void this.waitReady(entry).then(
        () => console.log(`${name} is ready again (pid ${entry.child.pid}), ${((Date.now() - entry.diedAt) / 1000).toFixed(1)} s after it exited.`),
        () => {}, // it died again: its exit handler has taken over
      );
    }, delayMs);
  }

  // Private: its output is complete once the pipes close (a worker of its own may hold them a moment longer).
  async giveUp(entry, how) {
    const { name } = entry.service;
    await entry.closed;
    const minutes = this.policy.deathWindowMs / 60_000;
    const said = entry.lines.length ? entry.lines.map((line) => `  ${line}`).join('\n') : '  (nothing)';
    console.error(
      `${name} exited ${entry.deaths.length} times within ${minutes} minutes (last: ${how}); giving up on it. ` +
        `The other services keep running without it. What it printed last:\n${said}\n` +
        `Fix the cause, then stop (Ctrl-C) and run npm start again.`,
    );
  }

  // Private: resolves once the current process answers /ready; rejects if it exits first,
  // at stop, or past `deadline`. Each probe is bounded, so a hung process cannot stall it.
  async waitReady(entry, deadline = Infinity) {
    const { child, service } = entry;
    while (!this.stopping && child.exitCode === null && child.signalCode === null) {
      if (Date.now() > deadline) throw new Error(`${service.name} was not ready on port ${service.port} after ${((Date.now() - entry.launchedAt) / 1000).toFixed(0)} s`);
      const ready = await fetch(`http://127.0.0.1:${service.port}/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        (response) => {
          void response.body?.cancel(); // the status says it all; free the connection
          return response.ok;
        },
        () => false,
      );
      if (ready && child.exitCode === null && child.signalCode === null && entry.child === child) {
        entry.everReady = true;
        entry.readyAt = Date.now();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
    throw new Error(`${service.name} exited before it was ready`);
  }
}
