// Demo catalogue for the embedded default (prisma/inventory/seed.json): about 20
// products, and the reservations held by the demo orders so that reserved stock
// matches the PENDING orders in the orders subgraph's seed. Idempotent.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';

interface DemoInventory {
  products: Prisma.ProductCreateManyInput[];
  reservations: Prisma.ReservationCreateManyInput[];
}

export async function seedDemoInventory(prisma: PrismaClient, log: Logger): Promise<void> {
  const demo = JSON.parse(await readFile(fromRoot('prisma/inventory/seed.json'), 'utf8')) as DemoInventory;
  const present = await prisma.product.count({ where: { id: { in: demo.products.map((p) => p.id!) } } });
  if (present === demo.products.length) return;
  await prisma.$transaction([
    prisma.product.createMany({ data: demo.products, skipDuplicates: true }),
    prisma.reservation.createMany({ data: demo.reservations, skipDuplicates: true }),
  ]);
  log.info({ products: demo.products.length }, 'demo catalogue seeded');
}
