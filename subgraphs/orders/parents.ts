// What the resolvers of each GraphQL type receive as their parent, where that is not a
// plain object shaped like the schema (scripts/codegen.config.mjs maps the types to these).
import type { Connection } from '../../platform/pagination.js';
import type { Order, OrderItem } from './generated/prisma/client.js';
import type { LiveOrder } from './live.js';

/** A row, or an orderUpdated event that brings its items along. */
export type OrderParent = Order | LiveOrder;
export type OrderConnectionParent = Connection<Order>;
/** An item row, or an item of a live event (which carries only these). */
export type OrderItemParent = Pick<OrderItem, 'productId' | 'quantity' | 'unitPriceCents'>;
/** Users and products are other subgraphs' entities: here each is its id. */
export type UserReference = { id: string };
export type ProductReference = { id: string };
