// What the resolvers of each GraphQL type receive as their parent, where that is not a
// plain object shaped like the schema (scripts/codegen.config.mjs maps the types to these).
import type { Connection } from '../../platform/pagination.js';
import type { Notification } from './generated/prisma/client.js';

export type NotificationParent = Notification;
export type NotificationConnectionParent = Connection<Notification>;
/** Users and orders are other subgraphs' entities: here each is its id. */
export type UserReference = { id: string };
export type OrderReference = { id: string };
