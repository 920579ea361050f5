// Sums V8 CPU profiles (`node --cpu-prof`, as `npm run bench -- --profile DIR` writes
// them) by package and by function, so that "where does a request's time go" is a table
// rather than a flame graph read by eye. Self time only: a function's callees count for
// themselves.
//
//   npm run bench -- --only canonical20 --soak 0 --no-workers --profile /tmp/profiles
//   node dist/bench/profile.js /tmp/profiles [--top 25]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in µs by key, for each node of a profile. */
export function selfTimes(profile: CpuProfile, keyOf: (node: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  // timeDeltas[i] is the time between sample i-1 and sample i: it belongs to sample i.
  profile.samples.forEach((id, index) => {
    const key = keyOf(byId.get(id)!);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return totals;
}

/** Who a frame belongs to: an npm package, Node itself, V8's bookkeeping, or our code. */
export function packageOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `ours: ${url.slice(dist + '/dist/'.length).split('/').slice(0, -1).join('/')}` : url;
}

function functionOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ''} [${packageOf(node)}]`;
}

// Private: shares are of the time the process was busy; waiting for work ("(idle)") is
// left out, or a lightly loaded service would look as if nothing in it cost anything.
function table(title: string, totals: Map<string, number>, top: number): string {
  const busy = [...totals].filter(([key]) => !key.startsWith('(idle)'));
  const all = busy.reduce((sum, [, us]) => sum + us, 0);
  const rows = busy.sort((a, b) => b[1] - a[1]).slice(0, top);
  return [`  ${title} (% of ${(all / 1000).toFixed(0)} ms busy)`, ...rows.map(([key, us]) => `  ${((us / all) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`)].join('\n');
}

function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const top = Number(values.top);
  const files = positionals.flatMap((each) =>
    statSync(each).isDirectory() ? readdirSync(each).filter((name) => name.endsWith('.cpuprofile')).map((name) => path.join(each, name)) : [each],
  );
  if (files.length === 0) throw new TypeError('Expected .cpuprofile files or a folder holding them.');
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    // Which service a profile is of: the entry script is in its frames.
    const entry = profile.nodes.map((node) => node.callFrame.url).find((url) => /\/dist\/(gateway|subgraphs\/\w+)\/index\.js$/.test(url));
    console.log(`\n${path.basename(file)}: ${entry ? entry.replace(/.*\/dist\//, '') : 'unknown entry'}`);
    console.log(table('by package', selfTimes(profile, packageOf), top));
    console.log(table('by function', selfTimes(profile, functionOf), top));
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) main();
