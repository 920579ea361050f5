// What the resolvers of each GraphQL type receive as their parent, where that is not a
// plain object shaped like the schema (scripts/codegen.config.mjs maps the types to these).
import type { Connection } from '../../platform/pagination.js';
import type { PublicUser } from './loaders.js';

/** A row without its password hash (sign-up and sign-in hand over the whole row, a superset). */
export type UserParent = PublicUser;
export type UserConnectionParent = Connection<PublicUser>;
