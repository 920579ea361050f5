// What the benchmark reads off the running processes: CPU time and resident memory from
// /proc (Linux), and counters from each service's own /metrics.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on Linux x86-64 (getconf CLK_TCK)

/** CPU time (user + system) a process has used so far, in ms; 0 if it is gone. */
export function cpuMs(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces), counted from its closing paren.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU of a process and all its descendants (cluster workers), in ms. */
export function treeCpuMs(pid: number): number {
  return descendants(pid).reduce((sum, each) => sum + cpuMs(each), cpuMs(pid));
}

/** Resident memory of a process and its descendants, in MB. */
export function treeRssMb(pid: number): number {
  const rss = (each: number) => {
    try {
      const line = readFileSync(`/proc/${each}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
      return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  return descendants(pid).reduce((sum, each) => sum + rss(each), rss(pid));
}

function descendants(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) children.push(Number(entry), ...descendants(Number(entry)));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

/** CPU used so far by each PostgreSQL server process on this machine, in ms, by pid. */
export function postgresCpuMs(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') byPid.set(Number(entry), cpuMs(Number(entry)));
    } catch {
      // gone
    }
  }
  return byPid;
}

/**
 * PostgreSQL CPU between two readings: what each process still running used since the
 * first (a backend that ended in between, say an idle pooled connection, is left out
 * rather than subtracted).
 */
export function postgresCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Sums the samples of a Prometheus series (all label sets matching `labels`) at `url`'s /metrics (`url` may be the /metrics URL itself). */
export async function metricSum(url: string, series: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${series}{`) && !line.startsWith(`${series} `)) continue;
    if (Object.entries(labels).some(([key, value]) => !line.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The middle value (the upper middle of an even count): what a few noisy rounds agree on. */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
