// A logger whose JSON lines a test can read back (what an operator would see in the logs).
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CapturedLog {
  log: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, any>[];
}

export function captureLog(service: string, level = 'info'): CapturedLog {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ name: service, level }, sink), lines: () => [...lines] };
}
