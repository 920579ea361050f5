// The batch function every by-id loader needs: one query for all the keys, answered in
// key order, null for a key with no row (DataLoader's contract).
import DataLoader from 'dataloader';
import type { Metrics } from './metrics.js';

export function loaderById<Row extends { id: string }>(
  findMany: (ids: string[]) => Promise<Row[]>,
  onBatch?: (size: number) => void,
): DataLoader<string, Row | null> {
  return new DataLoader(async (ids) => {
    onBatch?.(ids.length);
    const byId = new Map((await findMany([...ids])).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Records each batch's size under the loader's name. */
export const observeBatches = (metrics: Metrics, loader: string) => (size: number) => metrics.loaderBatches.observe({ loader }, size);

/**
 * One page of rows per user (a user's orders, a user's notifications) for many users:
 * pages asked with the same arguments (size, filter, cursor) share one query, which
 * `fetchPages` answers for all their users at once.
 */
export function pagesLoader<Page extends { userId: string }, Row extends { userId: string }>(
  fetchPages: (userIds: string[], args: Omit<Page, 'userId'>) => Promise<Row[]>,
  onBatch?: (size: number) => void,
): DataLoader<Page, Row[], string> {
  return new DataLoader(
    async (pages) => {
      onBatch?.(pages.length);
      const groups = Map.groupBy(pages, ({ userId: _userId, ...args }) => JSON.stringify(args));
      const results = new Map<Page, Row[]>();
      for (const group of groups.values()) {
        const { userId: _userId, ...args } = group[0]!;
        const rows = await fetchPages(group.map((page) => page.userId), args);
        const byUser = Map.groupBy(rows, (row) => row.userId);
        for (const page of group) results.set(page, byUser.get(page.userId) ?? []);
      }
      return pages.map((page) => results.get(page)!);
    },
    { cacheKeyFn: (page) => JSON.stringify(page) },
  );
}
