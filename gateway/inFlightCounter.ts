// Requests in flight per key, in this process. Every gateway instance allows `limit` on
// its own; it bounds what one client keeps the users service busy with, which no shared
// counter could release reliably when an instance dies mid-request.

export interface InFlightCounter {
  /** False when `key` already has `limit` in flight: the request is refused, nothing counted. */
  enter(key: string): boolean;
  /** Once for every `enter` that returned true. */
  leave(key: string): void;
}

export function inFlightCounter(limit: number): InFlightCounter {
  const counts = new Map<string, number>();
  return {
    enter(key) {
      const count = counts.get(key) ?? 0;
      if (count >= limit) return false;
      counts.set(key, count + 1);
      return true;
    },
    leave(key) {
      const count = (counts.get(key) ?? 1) - 1;
      if (count <= 0) counts.delete(key);
      else counts.set(key, count);
    },
  };
}
