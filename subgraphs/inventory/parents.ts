// What the resolvers of each GraphQL type receive as their parent, where that is not a
// plain object shaped like the schema (scripts/codegen.config.mjs maps the types to these).
import type { Connection } from '../../platform/pagination.js';
import type { Product } from './generated/prisma/client.js';

/** The row, deleted ones included (product() hides those; references still resolve them). */
export type ProductParent = Product;
export type ProductConnectionParent = Connection<Product>;
