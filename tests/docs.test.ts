// The documentation's links: every relative link in README.md and docs/ leads to a file that
// exists and, with a #fragment, to a heading in it (GitHub's anchors), so moving a section
// cannot leave a reader at a dead end. And the README stays a page a person reads at once.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { fromRoot } from '../platform/paths.js';

const pages = ['README.md', ...readdirSync(fromRoot('docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(fromRoot(file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#+ (.+)$/gm)].map((match) => anchor(match[1]!)));
}

function linksOf(file: string): string[] {
  const text = readFileSync(fromRoot(file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/.test(target));
}

describe('the documentation', () => {
  it.each(pages)('%s: every relative link leads to a file, and a fragment to a heading in it', (page) => {
    const broken: string[] = [];
    for (const link of linksOf(page)) {
      const [target, fragment] = link.split('#') as [string, string | undefined];
      const file = target === '' ? page : path.normalize(path.join(path.dirname(page), target));
      if (!existsSync(fromRoot(file))) broken.push(`${link} (no ${file})`);
      else if (fragment && file.endsWith('.md') && !anchorsOf(file).has(fragment)) broken.push(`${link} (no heading #${fragment} in ${file})`);
    }
    expect(broken).toEqual([]);
  });

  it('keeps the README to a screenful or so: at most 250 lines', () => {
    expect(readFileSync(fromRoot('README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
  });

  it('lists every page of docs/ in its index', () => {
    const index = readFileSync(fromRoot('docs/README.md'), 'utf8');
    const missing = pages.filter((page) => page.startsWith('docs/') && page !== 'docs/README.md').filter((page) => !index.includes(`](${path.basename(page)})`));
    expect(missing).toEqual([]);
  });
});
