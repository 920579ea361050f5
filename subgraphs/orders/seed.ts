// Demo orders for the embedded default (prisma/orders/seed.json), consistent with the
// demo customers and the reservations in the inventory seed. Idempotent.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import type { OrderStatus, PrismaClient } from './generated/prisma/client.js';

interface DemoOrders {
  orders: {
    id: string;
    userId: string;
    status: OrderStatus;
    createdAt: string;
    items: { productId: string; quantity: number; unitPriceCents: number }[];
  }[];
}

export async function seedDemoOrders(prisma: PrismaClient, log: Logger): Promise<void> {
  const demo = JSON.parse(await readFile(fromRoot('prisma/orders/seed.json'), 'utf8')) as DemoOrders;
  const present = await prisma.order.count({ where: { id: { in: demo.orders.map((order) => order.id) } } });
  if (present === demo.orders.length) return;
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
      data: demo.orders.flatMap((order) => order.items.map((item, position) => ({ orderId: order.id, ...item, position }))),
      skipDuplicates: true,
    }),
  ]);
  log.info({ orders: demo.orders.length }, 'demo orders seeded');
}
