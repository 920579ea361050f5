// Demo orders for the embedded default (prisma/orders/seed.json), consistent with the
// demo customers and the reservations in the inventory seed, with their events in the
// outbox (so the demo customers find their notifications). Idempotent.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import type { OrderStatus, PrismaClient } from './generated/prisma/client.js';
import { outboxRow } from './outbox.js';

interface DemoOrders {
  orders: {
    id: string;
    userId: string;
    status: OrderStatus;
    createdAt: string;
    items: { productId: string; name: string; quantity: number; unitPriceCents: number }[];
  }[];
}

export async function seedDemoOrders(prisma: PrismaClient, log: Logger): Promise<void> {
  const demo = JSON.parse(await readFile(fromRoot('prisma/orders/seed.json'), 'utf8')) as DemoOrders;
  const present = await prisma.order.count({ where: { id: { in: demo.orders.map((order) => order.id) } } });
  if (present === demo.orders.length) return;
  // PENDING demo orders are placed now: dated as in the file, they would be past
  // PENDING_ORDER_TTL_SECONDS at once and the sweeper's first pass would cancel them.
  const seededAt = new Date().toISOString();
  demo.orders = demo.orders.map((order) => (order.status === 'PENDING' ? { ...order, createdAt: seededAt } : order));
  await prisma.$transaction([
    prisma.order.createMany({
      data: demo.orders.map(({ items, createdAt, ...order }) => ({
        ...order,
        createdAt: new Date(createdAt),
        confirmedAt: new Date(createdAt),
        totalCents: items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0),
      })),
      skipDuplicates: true,
    }),
    prisma.orderItem.createMany({
      data: demo.orders.flatMap((order) => order.items.map(({ name: _name, ...item }, position) => ({ orderId: order.id, ...item, position }))),
      skipDuplicates: true,
    }),
    prisma.outboxEvent.createMany({ data: demo.orders.flatMap(demoEvents), skipDuplicates: true }),
  ]);
  log.info({ orders: demo.orders.length }, 'demo orders seeded');
}

/** order.placed, and the terminal event of a finished order an hour later; ids fixed by order. */
function demoEvents(order: DemoOrders['orders'][number]) {
  const totalCents = order.items.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0);
  const placedAt = new Date(order.createdAt);
  const rows = [outboxRow('order.placed', { id: order.id, userId: order.userId, status: 'PENDING', totalCents }, order.items, placedAt)];
  if (order.status !== 'PENDING') {
    const type = order.status === 'CANCELLED' ? 'order.cancelled' : 'order.completed';
    rows.push(outboxRow(type, { ...order, totalCents }, order.items.map(({ name: _name, ...item }) => item), new Date(placedAt.getTime() + 3600_000)));
  }
  return rows.map((row) => {
    const id = demoEventId(order.id, row.sequence);
    return { ...row, id, payload: { ...(row.payload as object), id } };
  });
}

function demoEventId(orderId: string, sequence: number): string {
  const h = createHash('sha256').update(`demo-event\n${orderId}\n${sequence}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
