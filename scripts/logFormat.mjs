// How `npm start` shows what its processes print. Every service logs JSON lines (pino),
// which is what a log collector wants and what containers print; a person watching a
// terminal wants a time, a coloured level and the message. So at a terminal in development
// the lines are pretty-printed (pino-pretty), and anywhere else (a pipe, a file, production)
// they pass through as JSON. LOG_FORMAT=pretty or json decides instead.
export async function logLineFormatter(env, stdoutIsTerminal) {
  const format = env.LOG_FORMAT ?? (stdoutIsTerminal && env.NODE_ENV !== 'production' ? 'pretty' : 'json');
  if (format === 'json') return (line) => line;
  if (format !== 'pretty') throw new Error(`LOG_FORMAT must be pretty or json, not "${format}".`);
  // Loaded only here: it is a development dependency, absent from production images.
  const { prettyFactory } = await import('pino-pretty');
  const pretty = prettyFactory({
    colorize: stdoutIsTerminal,
    translateTime: 'SYS:HH:MM:ss.l',
    // The supervisor already labels each line with its service; pid and host add nothing.
    ignore: 'pid,hostname,name',
    singleLine: true,
  });
  return (line) => (line.startsWith('{') ? pretty(line).trimEnd() : line);
}
