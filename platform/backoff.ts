// How long to wait before trying again after a failure: doubling from a base, capped, with
// ±20 % jitter so that many retries that failed together do not come back together.

/** The wait before attempt `attempt + 1`: base × 2^(attempt-1), at most `maxMs`, ±20 %. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const plain = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + Math.random() * 0.4));
}
