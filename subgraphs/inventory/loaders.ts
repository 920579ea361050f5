// Per-request batching of product look-ups: one SQL statement per request, however many
// products the gateway asks for.
import type DataLoader from 'dataloader';
import { loaderById, observeBatches } from '../../platform/loaders.js';
import type { Metrics } from '../../platform/metrics.js';
import type { PrismaClient, Product } from './generated/prisma/client.js';

export interface InventoryLoaders {
  /** Includes deleted products: an old order still shows what it bought. */
  productById: DataLoader<string, Product | null>;
}

export function createLoaders(prisma: PrismaClient, metrics: Metrics): InventoryLoaders {
  return {
    productById: loaderById((ids) => prisma.product.findMany({ where: { id: { in: ids } } }), observeBatches(metrics, 'productById')),
  };
}
