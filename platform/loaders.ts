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
