// GraphQL Code Generator: each subgraph's resolver types from its schema.graphql, written
// to subgraphs/<name>/generated/resolvers.ts (beside its Prisma client, and like it made
// by the build, never committed). Every resolver map is typed with the `Resolvers` found
// there, so a schema change that breaks a resolver fails `npm run compile`.
// scripts/generate.mjs runs it; by hand: `npx graphql-codegen --config scripts/codegen.config.mjs`.

/**
 * What each object type's resolvers really receive as their parent (`mappers`): the
 * types in the subgraph's parents.ts (rows, connections, entity references, live events).
 * Types not listed are plain objects shaped like the schema.
 */
const SUBGRAPHS = {
  users: { context: 'UsersContext', parents: { User: 'UserParent', UserConnection: 'UserConnectionParent' } },
  inventory: { context: 'InventoryContext', parents: { Product: 'ProductParent', ProductConnection: 'ProductConnectionParent' } },
  orders: {
    context: 'OrdersContext',
    parents: { Order: 'OrderParent', OrderConnection: 'OrderConnectionParent', OrderItem: 'OrderItemParent', User: 'UserReference', Product: 'ProductReference' },
  },
  notifications: {
    context: 'NotificationsContext',
    parents: { Notification: 'NotificationParent', NotificationConnection: 'NotificationConnectionParent', User: 'UserReference', Order: 'OrderReference' },
  },
};

const TYPES = {
  // platform/scalars.ts: a Date in resolvers, an ISO-8601 string on the wire.
  scalars: { DateTime: 'Date' },
  // String unions, as Prisma's enums are, so a row's status is a schema enum as it is.
  enumsAsTypes: true,
  useTypeImports: true,
};

/** @type {import('@graphql-codegen/cli').CodegenConfig} */
const config = {
  silent: true,
  generates: Object.fromEntries(
    Object.entries(SUBGRAPHS).flatMap(([name, { context, parents }]) => [
      // The schema's own types (inputs, enums, arguments) for the subgraph's domain code:
      // they import nothing, so that code can use them without an import cycle through
      // the context.
      [`subgraphs/${name}/generated/schema.ts`, { schema: `subgraphs/${name}/schema.graphql`, plugins: ['typescript'], config: TYPES }],
      [
        `subgraphs/${name}/generated/resolvers.ts`,
        {
          schema: `subgraphs/${name}/schema.graphql`,
          plugins: ['typescript', 'typescript-resolvers'],
          config: {
            ...TYPES,
            federation: true,
            contextType: `../context.js#${context}`,
            mappers: Object.fromEntries(Object.entries(parents).map(([type, parent]) => [type, `../parents.js#${parent}`])),
            useIndexSignature: false,
          },
        },
      ],
    ]),
  ),
};

export default config;
