import { requireAdmin, requireService } from '../../platform/authorization.js';
import { badInput } from '../../platform/errors.js';
import { liveEvent } from '../../platform/liveQueue.js';
import { isUuid, requireUuid } from '../../platform/ids.js';
import * as catalog from './catalog.js';
import type { Product } from './generated/prisma/client.js';
import type { Resolvers } from './generated/resolvers.js';
import * as reservations from './reservations.js';

/** The only service allowed to hold and settle stock. */
const ORDERS_SERVICE = 'orders';
/** Products one productAvailabilityChanged may watch. */
const MAX_WATCHED_PRODUCTS = 100;

export const resolvers: Resolvers = {
  Query: {
    async product(_parent, { id }, { loaders }) {
      if (!isUuid(id)) return null;
      const product = await loaders.productById.load(id.toLowerCase());
      return product?.deletedAt ? null : product;
    },
    products: (_parent, args, { prisma }) => catalog.listProducts(prisma, args),
  },

  Mutation: {
    createProduct(_parent, { input }, context) {
      requireAdmin(context.caller);
      return catalog.createProduct(context.prisma, input);
    },
    updateProduct(_parent, { id, input }, context) {
      requireAdmin(context.caller);
      return catalog.updateProduct(context.prisma, requireUuid(id, 'id'), input);
    },
    async restock(_parent, { productId, quantity }, context) {
      requireAdmin(context.caller);
      const product = await catalog.restock(context.prisma, requireUuid(productId, 'productId'), quantity);
      context.live.changed([product.id]);
      return product;
    },
    deleteProduct(_parent, { id }, context) {
      requireAdmin(context.caller);
      return catalog.deleteProduct(context.prisma, requireUuid(id, 'id'));
    },

    async reserveStock(_parent, { orderId, lines }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      const reserved = await reservations.reserveStock(context.prisma, orderId, lines, context.reservations, context.deadline);
      // A retry that found the reservation made changes nothing; its watchers hear of it once more, harmlessly.
      context.live.changed(reserved.map((line) => line.productId));
      return reserved;
    },
    confirmReservation(_parent, { orderId }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.confirmReservation(context.prisma, orderId);
    },
    releaseReservation(_parent, { orderId, unconfirmedOnly }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.releaseReservation(context.prisma, orderId, context.deadline, { unconfirmedOnly: unconfirmedOnly ?? false, changed: context.live.changed });
    },
    commitReservation(_parent, { orderId }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.commitReservation(context.prisma, orderId, context.deadline, context.live.changed);
    },
  },

  Subscription: {
    productAvailabilityChanged: {
      // Public, like the catalogue.
      subscribe(_parent, { ids }, context) {
        if (ids.length === 0 || ids.length > MAX_WATCHED_PRODUCTS) throw badInput(`Watch 1 to ${MAX_WATCHED_PRODUCTS} products.`, 'ids');
        return context.live.watch([...new Set(ids.map((id) => requireUuid(id, 'ids').toLowerCase()))]);
      },
      resolve: liveEvent<Product>,
    },
  },

  Product: {
    __resolveReference: (reference, { loaders }) =>
      isUuid(reference.id) ? loaders.productById.load(reference.id.toLowerCase()) : null,
    available: (product) => product.stock - product.reserved,
    inStock(product, { quantity }) {
      if (!Number.isInteger(quantity) || quantity < 1) throw badInput('quantity must be at least 1.', 'quantity');
      return product.stock - product.reserved >= quantity;
    },
  },
};
