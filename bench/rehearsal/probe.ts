// What the rehearsal asks of the gateway and how it reads the answers: the canonical query,
// its latency over many sequential requests, and whether an answer is whole or partial.
import { canonicalQuery } from '../dataset.js';
import { median } from '../measure.js';
import type { Answer, Stack } from './hosts.js';

export const CANONICAL = canonicalQuery(20);

/** ms of each of `count` canonical queries sent one after another; throws on an answer that is not whole. */
export async function latencies(stack: Stack, token: string, count: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await stack.query(CANONICAL, token);
    if (shapeOf(answer) !== 'whole') throw new Error(`expected a whole answer, got ${JSON.stringify(answer.body).slice(0, 400)}`);
    ms.push(answer.ms);
  }
  return ms;
}

export { median };
export const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

/**
 * whole: every order with its customer and products; partial: orders and customers, every
 * product null with one SUBGRAPH_UNAVAILABLE error naming inventory; anything else: other.
 */
export function shapeOf(answer: Answer): 'whole' | 'partial' | 'other' {
  const orders = answer.body?.data?.orders?.nodes as any[] | undefined;
  if (!orders || orders.length === 0 || orders.some((order) => !order.user?.name)) return 'other';
  const products = orders.flatMap((order) => order.items.map((item: any) => item.product));
  const errors = (answer.body.errors ?? []) as { extensions?: Record<string, unknown> }[];
  if (errors.length === 0 && products.every((product) => product?.name)) return 'whole';
  const inventoryDown = errors.length === 1 && errors[0]!.extensions?.code === 'SUBGRAPH_UNAVAILABLE' && errors[0]!.extensions?.subgraph === 'inventory';
  return inventoryDown && products.every((product) => product === null) ? 'partial' : 'other';
}

/** Why inventory was unavailable, as the gateway told the client (timeout, unreachable, circuit_open). */
export const reasonOf = (answer: Answer) => String(answer.body?.errors?.[0]?.extensions?.reason ?? '');
