// What the orders service tells Prometheus about its outbox, read the way Prometheus reads
// it (GET /metrics): the alerts in deploy/prometheus/ page on the oldest waiting event's
// age, which a backlog count alone cannot tell (50 events 50 ms old are fine, 50 minutes
// old are not).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { OrdersService } from '../subgraphs/orders/server.js';
import { outboxRow } from '../subgraphs/orders/outbox.js';
import { truncateAll } from './support/execute.js';
import { bootOrders } from './support/services.js';

let orders: OrdersService;
let metricsUrl: string;

/** One unlabelled sample (beside the `service` label) of the scrape, as a number. */
async function sample(name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (!match) throw new Error(`${name} is not in the scrape`);
  return Number(match[1]);
}

/** Writes an undelivered event as placeOrder would have, `ageSeconds` ago. */
async function eventWritten(ageSeconds: number): Promise<string> {
  const order = { id: randomUUID(), userId: randomUUID(), status: 'PENDING' as const, totalCents: 100 };
  const row = outboxRow('order.placed', order, [], new Date(Date.now() - ageSeconds * 1000));
  await orders.prisma.outboxEvent.create({ data: row });
  return row.id;
}

beforeAll(async () => {
  // The relay does not deliver here (OUTBOX_RELAY_MS=0 in the test settings): the events
  // wait, as they do while the transport is down.
  orders = await bootOrders();
  const { url } = await orders.listen(0, '127.0.0.1');
  metricsUrl = url.replace(/\/graphql$/, '/metrics');
});
afterAll(() => orders.stop());
beforeEach(() => truncateAll(orders.database));

describe('outbox_oldest_event_age_seconds', () => {
  it('is 0 while nothing waits', async () => {
    expect(await sample('outbox_oldest_event_age_seconds')).toBe(0);
    expect(await sample('outbox_backlog')).toBe(0);
  });

  it('is the age of the oldest undelivered event, not of the newest', async () => {
    await eventWritten(600);
    await eventWritten(5);
    const age = await sample('outbox_oldest_event_age_seconds');
    expect(age).toBeGreaterThanOrEqual(600);
    expect(age).toBeLessThan(900); // the scrape's own delay, with room for a slow machine
    expect(await sample('outbox_backlog')).toBe(2);
  });

  it('leaves out the events already delivered', async () => {
    const delivered = await eventWritten(3600);
    await eventWritten(30);
    await orders.prisma.outboxEvent.update({ where: { id: delivered }, data: { publishedAt: new Date() } });
    const age = await sample('outbox_oldest_event_age_seconds');
    expect(age).toBeGreaterThanOrEqual(30);
    expect(age).toBeLessThan(3600);
  });
});
