// Spans for the resolvers worth seeing in a trace: those that do a request's real work
// (placing an order, reserving stock, signing in, applying events) and the entry points of
// a page. Not every field: a span per field of a page of 100 orders would cost more than
// the request, and the SQL spans under these already show where the time goes.
import type { SubgraphResolvers } from './subgraph.js';
import { inSpan } from './tracing.js';

type Resolver = (parent: unknown, args: unknown, context: unknown, info: unknown) => unknown;

/**
 * A copy of `resolvers` in which each field named in `fields` ("Mutation.placeOrder")
 * runs in a span of its own. Unchanged when tracing is off, so that costs nothing.
 */
export function traceResolvers(resolvers: SubgraphResolvers, fields: readonly string[], tracing: boolean): SubgraphResolvers {
  if (!tracing || fields.length === 0) return resolvers;
  const traced: Record<string, Record<string, unknown>> = {};
  for (const [type, typeResolvers] of Object.entries(resolvers as Record<string, Record<string, unknown>>)) {
    traced[type] = { ...typeResolvers };
  }
  for (const field of fields) {
    const [type = '', name = ''] = field.split('.');
    const resolve = traced[type]?.[name];
    if (typeof resolve !== 'function') throw new TypeError(`traceResolvers: ${field} is not a resolver function in this subgraph.`);
    traced[type]![name] = (parent: unknown, args: unknown, context: unknown, info: unknown) =>
      inSpan(`resolve ${field}`, { attributes: { 'graphql.field.path': field } }, async () => (resolve as Resolver)(parent, args, context, info));
  }
  return traced;
}
