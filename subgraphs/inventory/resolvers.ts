import { requireAdmin, requireService } from '../../platform/authorization.js';
import { badInput } from '../../platform/errors.js';
import { liveEvent, type LiveEnd } from '../../platform/liveQueue.js';
import { isUuid, requireUuid } from '../../platform/ids.js';
import type { GraphQLResolverMap } from '../../platform/subgraph.js';
import * as catalog from './catalog.js';
import type { InventoryContext } from './context.js';
import type { Product } from './generated/prisma/client.js';
import * as reservations from './reservations.js';

/** The only service allowed to hold and settle stock. */
const ORDERS_SERVICE = 'orders';
/** Products one productAvailabilityChanged may watch. */
const MAX_WATCHED_PRODUCTS = 100;

export const resolvers: GraphQLResolverMap<InventoryContext> = {
  Query: {
    async product(_parent, { id }: { id: string }, { loaders }) {
      if (!isUuid(id)) return null;
      const product = await loaders.productById.load(id.toLowerCase());
      return product?.deletedAt ? null : product;
    },
    products: (_parent, args: catalog.ListProductsArgs, { prisma }) => catalog.listProducts(prisma, args),
  },

  Mutation: {
    createProduct(_parent, { input }: { input: catalog.CreateProductInput }, context) {
      requireAdmin(context.caller);
      return catalog.createProduct(context.prisma, input);
    },
    updateProduct(_parent, { id, input }: { id: string; input: catalog.UpdateProductInput }, context) {
      requireAdmin(context.caller);
      return catalog.updateProduct(context.prisma, requireUuid(id, 'id'), input);
    },
    async restock(_parent, { productId, quantity }: { productId: string; quantity: number }, context) {
      requireAdmin(context.caller);
      const product = await catalog.restock(context.prisma, requireUuid(productId, 'productId'), quantity);
      context.live.changed([product.id]);
      return product;
    },
    deleteProduct(_parent, { id }: { id: string }, context) {
      requireAdmin(context.caller);
      return catalog.deleteProduct(context.prisma, requireUuid(id, 'id'));
    },

    async reserveStock(_parent, { orderId, lines }: { orderId: string; lines: reservations.ReservationLine[] }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      const reserved = await reservations.reserveStock(context.prisma, orderId, lines, context.reservations, context.deadline);
      // A retry that found the reservation made changes nothing; its watchers hear of it once more, harmlessly.
      context.live.changed(reserved.map((line) => line.productId));
      return reserved;
    },
    confirmReservation(_parent, { orderId }: { orderId: string }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.confirmReservation(context.prisma, orderId);
    },
    releaseReservation(_parent, { orderId, unconfirmedOnly }: { orderId: string; unconfirmedOnly?: boolean | null }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.releaseReservation(context.prisma, orderId, context.deadline, { unconfirmedOnly: unconfirmedOnly ?? false, changed: context.live.changed });
    },
    commitReservation(_parent, { orderId }: { orderId: string }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.commitReservation(context.prisma, orderId, context.deadline, context.live.changed);
    },
  },

  Subscription: {
    productAvailabilityChanged: {
      // Public, like the catalogue.
      subscribe(_parent: unknown, { ids }: { ids: string[] }, context: InventoryContext) {
        if (ids.length === 0 || ids.length > MAX_WATCHED_PRODUCTS) throw badInput(`Watch 1 to ${MAX_WATCHED_PRODUCTS} products.`, 'ids');
        return context.live.watch([...new Set(ids.map((id) => requireUuid(id, 'ids').toLowerCase()))]);
      },
      resolve: (event: Product | LiveEnd, _args: unknown, context: InventoryContext) => liveEvent(event, context),
    },
  },

  Product: {
    __resolveReference: (reference: { id: string }, { loaders }: InventoryContext) =>
      isUuid(reference.id) ? loaders.productById.load(reference.id.toLowerCase()) : null,
    available: (product: Product) => product.stock - product.reserved,
    inStock(product: Product, { quantity }: { quantity: number }) {
      if (!Number.isInteger(quantity) || quantity < 1) throw badInput('quantity must be at least 1.', 'quantity');
      return product.stock - product.reserved >= quantity;
    },
  },
};
