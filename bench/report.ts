// Turns the benchmark's rows into docs/benchmark.md (tables) and docs/benchmark.svg
// (CPU per request, stacked by process, ours against the baseline).

export interface Row {
  scenario: string;
  target: string;
  /** Requests answered while measured, and over how many seconds. */
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU ms per request by process name (gateway, users…, or server), plus database. */
  cpuMsPerRequest: Record<string, number>;
  rssMb: Record<string, number>;
  sqlPerRequest?: Record<string, number>;
  fetchesPerRequest?: Record<string, number>;
  /** Measured in rounds against the baseline: each round's CPU ratio. */
  roundRatios?: number[];
}

export interface SoakSample {
  second: number;
  rssMb: Record<string, number>;
}

/** One scenario measured on ours and a baseline in the same rounds. */
export interface Paired {
  ours: Row;
  baseline: Row;
  /** Each round's ours/baseline ratio of requests per second. */
  throughputRatios: number[];
}

export interface RunInfo {
  database: string;
  seconds: number;
  connections: number;
  rounds: number;
  cores: number;
  command: string;
  /** Ours (one process per service) against the baseline with a worker per core. */
  throughput?: Paired;
  /** The same with a worker per core in every service too. */
  pooledThroughput?: Paired;
  /** RSS of each process during a long run of the canonical query (empty if skipped). */
  soak: SoakSample[];
}

const PARTS = ['gateway', 'users', 'inventory', 'orders', 'notifications', 'server', 'database'];
const total = (row: Row) => Object.values(row.cpuMsPerRequest).reduce((sum, value) => sum + value, 0);
const fixed = (value: number | undefined, digits = 2) => (value === undefined ? '—' : value.toFixed(digits));
const table = (header: string[], lines: string[][]) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...lines.map((line) => `| ${line.join(' | ')} |`)].join('\n');

export function renderReport(rows: Row[], info: RunInfo): string {
  const ours = rows.filter((row) => row.target.startsWith('supergraph'));
  const find = (scenario: string, target: string) => rows.find((row) => row.scenario === scenario && row.target === target);
  const byRound = (ratios: number[]) => ratios.map((ratio) => `${fixed(ratio)}×`).join(', ');
  const ratios = ours
    .filter((row) => row.target === 'supergraph')
    .filter((row) => find(row.scenario, 'baseline'))
    .map((row) => {
      const base = find(row.scenario, 'baseline')!;
      const rounds = row.roundRatios ? byRound(row.roundRatios) : '—';
      return [row.scenario, fixed(total(row)), fixed(total(base)), `**${fixed(total(row) / total(base))}×**`, rounds, fixed(row.requestsPerSecond, 0), fixed(base.requestsPerSecond, 0), `${fixed(row.requestsPerSecond / base.requestsPerSecond)}×`];
    });
  const throughputLine = (paired: Paired) =>
    `${fixed(paired.ours.requestsPerSecond, 0)} / ${fixed(paired.baseline.requestsPerSecond, 0)} req/s = **${fixed(paired.ours.requestsPerSecond / paired.baseline.requestsPerSecond)}×** (by round: ${byRound(paired.throughputRatios)})`;
  const throughput = info.throughput
    ? `\nThroughput on the ${info.throughput.ours.scenario} against the baseline as ${info.throughput.baseline.target.replace('baseline ', '')} (as many as the machine has cores), in the same rounds: ${throughputLine(info.throughput)}.${
        info.pooledThroughput ? ` With every service as ${info.pooledThroughput.ours.target.replace('supergraph ', '')} too: ${throughputLine(info.pooledThroughput)}.` : ''
      }\n`
    : '';

  return `# Benchmark

Produced by \`${info.command}\` on ${new Date().toISOString().slice(0, 10)}: ${info.database}; ${info.cores} cores; autocannon with
${info.connections} connections for ${info.seconds} s per scenario after a 2 s warm-up, on the same machine (loopback). Services in
production mode (request logs on, rate limits off). Dataset: 1,000 customers, 500 products, 10,000 orders × 3 items. CPU is
user + system time from /proc of each process (and of every PostgreSQL process) over the measured seconds, divided by the
requests answered. The baseline (\`bench/baseline.ts\`) answers the canonical query from one Apollo Server (the same HTTP
layer and plugins) reading the same three databases through the same Prisma clients and DataLoaders: no gateway, no HTTP
between services. Both stacks run side by side, and each comparison is ${info.rounds} rounds of ${info.seconds} s on each side,
taking turns at going first: this machine's speed drifts by up to 30 % within minutes, so the two sides of a ratio are
measured seconds apart, and the spread of the rounds shows how far a ratio can be trusted.

## Federation against the baseline

${table(['canonical query', 'CPU ms/req ours', 'CPU ms/req baseline', 'CPU ratio', 'CPU ratio by round', 'req/s ours', 'req/s baseline', 'throughput ratio'], ratios)}
${throughput}
## Throughput and latency

${table(['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms'], rows.map((row) => [row.scenario, row.target, fixed(row.requestsPerSecond, 0), String(row.p50), String(row.p99)]))}

## CPU per request (ms)

${table(['scenario', 'server', ...PARTS, 'total'], rows.map((row) => [row.scenario, row.target, ...PARTS.map((part) => fixed(row.cpuMsPerRequest[part])), `**${fixed(total(row))}**`]))}

## SQL statements and subgraph fetches per request

${table(['scenario', 'SQL users', 'SQL inventory', 'SQL orders', 'SQL notifications', 'fetches users', 'fetches inventory', 'fetches orders'], ours.map((row) => [row.target === 'supergraph' ? row.scenario : `${row.scenario} (${row.target})`, ...['users', 'inventory', 'orders', 'notifications'].map((name) => fixed(row.sqlPerRequest?.[name])), ...['users', 'inventory', 'orders'].map((name) => fixed(row.fetchesPerRequest?.[name]))]))}

## Memory: RSS after each scenario (MB)

${table(['scenario', 'server', 'gateway', 'users', 'inventory', 'orders', 'notifications', 'server'], rows.map((row) => [row.scenario, row.target, ...['gateway', 'users', 'inventory', 'orders', 'notifications', 'server'].map((name) => fixed(row.rssMb[name], 0))]))}

${info.soak.length === 0 ? '' : `## Memory under sustained load: RSS (MB) during ${info.soak.at(-1)!.second} s of the canonical query (20 orders)

${table(['second', 'gateway', 'users', 'inventory', 'orders', 'notifications'], info.soak.map((sample) => [String(sample.second), ...['gateway', 'users', 'inventory', 'orders', 'notifications'].map((name) => fixed(sample.rssMb[name], 0))]))}
`}
![CPU per request](benchmark.svg)
`;
}

const COLOURS: Record<string, string> = {
  gateway: '#4e79a7',
  users: '#f28e2b',
  inventory: '#59a14f',
  orders: '#e15759',
  notifications: '#edc948',
  server: '#76b7b2',
  database: '#9c755f',
};

/** Horizontal bars of CPU ms per request for the canonical query, one segment per process. */
export function renderChart(rows: Row[]): string {
  const bars = rows.filter((row) => row.scenario.startsWith('canonical'));
  const scale = 560 / Math.max(...bars.map(total));
  const barHeight = 22;
  const top = 40;
  const left = 330;
  const height = top + bars.length * (barHeight + 10) + 50;
  const parts = bars.map((row, index) => {
    const y = top + index * (barHeight + 10);
    let x = left;
    const segments = PARTS.filter((part) => row.cpuMsPerRequest[part]).map((part) => {
      const width = row.cpuMsPerRequest[part]! * scale;
      const rect = `<rect x="${x.toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${barHeight}" fill="${COLOURS[part]}"><title>${part}: ${fixed(row.cpuMsPerRequest[part])} ms</title></rect>`;
      x += width;
      return rect;
    });
    return [
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escape(`${row.scenario.replace('canonical query, ', 'canonical ')} — ${row.target}`)}</text>`,
      ...segments,
      `<text x="${(x + 6).toFixed(1)}" y="${y + 15}">${fixed(total(row))} ms</text>`,
    ].join('');
  });
  const legendY = height - 20;
  const legend = PARTS.map((part, index) => `<rect x="${left + index * 95}" y="${legendY - 11}" width="12" height="12" fill="${COLOURS[part]}"/><text x="${left + index * 95 + 16}" y="${legendY}">${part}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="22" font-weight="bold">CPU per canonical request (ms, all processes), supergraph against the in-process baseline</text>
${parts.join('\n')}
${legend.join('')}
</svg>
`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
