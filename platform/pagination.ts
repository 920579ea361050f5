// Relay-style connections with opaque keyset cursors, shared by every subgraph that lists things.
import { badInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * What a connection field resolves to. The parts a client may not ask for are functions,
 * which GraphQL's default resolver calls only when the field is selected: the COUNT runs
 * only for totalCount, and cursors are encoded only for edges and endCursor (most pages
 * are read as nodes, and a cursor per row was a visible cost in the orders profile).
 */
export interface Connection<T> {
  edges: () => { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: () => string | null };
  totalCount: () => Promise<number>;
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}, got ${size}.`, 'first');
  }
  return size;
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Reads a cursor made by encodeCursor; `shape` lists the type of each part. */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => typeof part !== shape[i])) {
    throw badInput('after is not a cursor this API gave out.', 'after');
  }
  return key;
}

/**
 * Builds a connection from up to `size + 1` rows fetched in order: the extra row only
 * tells whether there is a next page.
 */
export function toConnection<T>(rows: T[], size: number, cursorOf: (row: T) => string, count: () => Promise<number>): Connection<T> {
  const nodes = rows.slice(0, size);
  const last = nodes.at(-1);
  return {
    edges: () => nodes.map((node) => ({ cursor: cursorOf(node), node })),
    nodes,
    pageInfo: { hasNextPage: rows.length > size, endCursor: () => (last === undefined ? null : cursorOf(last)) },
    totalCount: count,
  };
}
