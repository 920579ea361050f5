import { requireAdmin, requireService } from '../../platform/authorization.js';
import { badInput } from '../../platform/errors.js';
import { isUuid, requireUuid } from '../../platform/ids.js';
import type { GraphQLResolverMap } from '../../platform/subgraph.js';
import * as catalog from './catalog.js';
import type { InventoryContext } from './context.js';
import type { Product } from './generated/prisma/client.js';
import * as reservations from './reservations.js';

/** The only service allowed to hold and settle stock. */
const ORDERS_SERVICE = 'orders';

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
    restock(_parent, { productId, quantity }: { productId: string; quantity: number }, context) {
      requireAdmin(context.caller);
      return catalog.restock(context.prisma, requireUuid(productId, 'productId'), quantity);
    },
    deleteProduct(_parent, { id }: { id: string }, context) {
      requireAdmin(context.caller);
      return catalog.deleteProduct(context.prisma, requireUuid(id, 'id'));
    },

    reserveStock(_parent, { orderId, lines }: { orderId: string; lines: reservations.ReservationLine[] }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.reserveStock(context.prisma, orderId, lines, context.reservations, context.deadline);
    },
    confirmReservation(_parent, { orderId }: { orderId: string }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.confirmReservation(context.prisma, orderId);
    },
    releaseReservation(_parent, { orderId, unconfirmedOnly }: { orderId: string; unconfirmedOnly?: boolean | null }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.releaseReservation(context.prisma, orderId, context.deadline, { unconfirmedOnly: unconfirmedOnly ?? false });
    },
    commitReservation(_parent, { orderId }: { orderId: string }, context) {
      requireService(context.caller, ORDERS_SERVICE);
      return reservations.commitReservation(context.prisma, orderId, context.deadline);
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
