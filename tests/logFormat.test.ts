// How `npm start` shows its processes' log lines (scripts/logFormat.mjs): a person at a
// terminal in development reads a time, a level and the message; a pipe, a file or
// production gets the JSON lines the services write, untouched, for a log collector.
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { fromRoot } from '../platform/paths.js';

type Formatter = (line: string) => string;
const { logLineFormatter } = (await import(pathToFileURL(fromRoot('scripts', 'logFormat.mjs')).href)) as {
  logLineFormatter: (env: Record<string, string | undefined>, stdoutIsTerminal: boolean) => Promise<Formatter>;
};

const LINE = JSON.stringify({ level: 40, time: Date.UTC(2026, 11, 2, 9, 30, 5, 120), pid: 7, hostname: 'box', name: 'orders', msg: 'inventory is slow', orderId: 'o-1' });
// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

describe("npm start's log lines", () => {
  it('are pretty at a terminal in development: level and message first, the fields after, no pid or host', async () => {
    const shown = plain((await logLineFormatter({}, true))(LINE));
    expect(shown).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: inventory is slow \{"orderId":"o-1"\}$/);
    expect(shown).not.toContain('box');
  });

  it('stay JSON when piped or in production, unless LOG_FORMAT says otherwise', async () => {
    expect((await logLineFormatter({}, false))(LINE)).toBe(LINE);
    expect((await logLineFormatter({ NODE_ENV: 'production' }, true))(LINE)).toBe(LINE);
    expect((await logLineFormatter({ LOG_FORMAT: 'json' }, true))(LINE)).toBe(LINE);
    expect(plain((await logLineFormatter({ LOG_FORMAT: 'pretty' }, false))(LINE))).toContain('WARN: inventory is slow');
  });

  it('passes a line that is not JSON through as it is', async () => {
    expect((await logLineFormatter({}, true))('Supergraph ready')).toBe('Supergraph ready');
  });

  it('refuses a LOG_FORMAT it does not know, naming it', async () => {
    await expect(logLineFormatter({ LOG_FORMAT: 'xml' }, true)).rejects.toThrow('LOG_FORMAT must be pretty or json, not "xml".');
  });
});
