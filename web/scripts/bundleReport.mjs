// After `vite build`: what a shopper's browser downloads before the first page renders
// (the entry script and the chunks index.html preloads), gzipped as a server sends it, and
// the lazily loaded rest (the explorer). Fails the build past the budget: 200 KB of
// gzipped initial JS. Writes dist/bundle-report.json.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 200;
const dist = new URL('../dist/', import.meta.url).pathname;
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]));

const kb = (bytes) => Math.round(bytes / 102.4) / 10;
const files = readdirSync(path.join(dist, 'assets'))
  .filter((name) => /\.(js|css)$/.test(name))
  .map((name) => {
    const file = `assets/${name}`;
    const content = readFileSync(path.join(dist, file));
    return { file, initial: initial.has(file), bytes: statSync(path.join(dist, file)).size, gzipBytes: gzipSync(content).length };
  })
  .sort((a, b) => b.gzipBytes - a.gzipBytes);

const sum = (list, key) => list.reduce((total, each) => total + each[key], 0);
const initialJs = files.filter((each) => each.initial && each.file.endsWith('.js'));
const report = {
  budgetKb: BUDGET_KB,
  initialJsKb: kb(sum(initialJs, 'bytes')),
  initialJsGzipKb: kb(sum(initialJs, 'gzipBytes')),
  initialCssGzipKb: kb(sum(files.filter((each) => each.initial && each.file.endsWith('.css')), 'gzipBytes')),
  lazyGzipKb: kb(sum(files.filter((each) => !each.initial), 'gzipBytes')),
  files: files.map((each) => ({ ...each, kb: kb(each.bytes), gzipKb: kb(each.gzipBytes) })),
};
writeFileSync(path.join(dist, 'bundle-report.json'), `${JSON.stringify(report, null, 2)}\n`);

console.log(`Initial JS: ${report.initialJsGzipKb} KB gzipped (${report.initialJsKb} KB), budget ${BUDGET_KB} KB; CSS ${report.initialCssGzipKb} KB; loaded later (explorer): ${report.lazyGzipKb} KB gzipped.`);
for (const each of report.files.filter((file) => file.initial)) console.log(`  ${each.file}  ${each.gzipKb} KB gzipped`);
if (report.initialJsGzipKb > BUDGET_KB) {
  console.error(`The initial JS is over its budget of ${BUDGET_KB} KB gzipped.`);
  process.exit(1);
}
