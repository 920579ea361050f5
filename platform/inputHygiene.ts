// Input that no resolver should ever see, refused once for every operation before it
// runs, as BAD_USER_INPUT (HTTP 400) rather than as an internal error from deep inside:
//  - strings PostgreSQL cannot store (a NUL character, half of a UTF-16 surrogate pair),
//    in variables or in the operation's own literals;
//  - `_entities` representations that are not entity references of this subgraph (a
//    hand-written query straight to a subgraph; the gateway never sends such).
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { isUnionType, Kind, visit, type DocumentNode, type GraphQLSchema, type ValueNode } from 'graphql';
import { perDocument } from './documents.js';
import { badInput, refusingRequest } from './errors.js';

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const refuse = (message: string, field?: string) => refusingRequest(badInput(message, field), 400);

/** Finds a string in `value` (any depth) that PostgreSQL could not store. */
function unstorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  return Object.values(value).some((each) => unstorable(each, depth + 1));
}

/** Whether the operation's own string literals hold one PostgreSQL could not store. */
const unstorableLiteral = perDocument((document: DocumentNode) => {
  let found = false;
  visit(document, {
    [Kind.STRING]: (node) => {
      if (UNSTORABLE.test(node.value)) found = true;
    },
  });
  return found;
});

export function storableStringsPlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          if (unstorable(request.variables) || unstorableLiteral(document)) throw refuse('Text may not contain NUL characters or unpaired UTF-16 surrogates.');
        },
      };
    },
  };
}

/** Refuses `_entities` representations that name no entity of `schema` or lack a string `id`. */
export function entityRepresentationsPlugin<TContext extends BaseContext>(schema: GraphQLSchema): ApolloServerPlugin<TContext> {
  // The entities are the members of the _Entity union that @apollo/subgraph builds; every
  // one here is keyed by id (@key(fields: "id")), so that is all a reference needs.
  const union = schema.getType('_Entity');
  const entities = new Set(isUnionType(union) ? union.getTypes().map((type) => type.name) : []);
  const isEntity = (typename: unknown) => typeof typename === 'string' && entities.has(typename);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, operation }) {
          for (const selection of operation?.selectionSet.selections ?? []) {
            if (selection.kind !== Kind.FIELD || selection.name.value !== '_entities') continue;
            const argument = selection.arguments?.find((each) => each.name.value === 'representations');
            const representations = argument ? valueOf(argument.value, request.variables ?? {}) : undefined;
            if (!Array.isArray(representations)) throw refuse('representations must be a list of entity references.', 'representations');
            for (const representation of representations) {
              const reference = representation as { __typename?: unknown; id?: unknown } | null;
              if (!reference || typeof reference !== 'object' || !isEntity(reference.__typename) || typeof reference.id !== 'string') {
                throw refuse('Each representation needs the __typename of an entity of this service and a string id.', 'representations');
              }
            }
          }
        },
      };
    },
  };
}

/** A literal or variable argument's value, as the resolver would receive it. */
function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.VARIABLE:
      return variables[node.name.value];
    case Kind.LIST:
      return node.values.map((each) => valueOf(each, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, valueOf(field.value, variables)]));
    case Kind.NULL:
      return null;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    default:
      return 'value' in node ? node.value : undefined;
  }
}
