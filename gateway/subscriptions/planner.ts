// Plans a subscription with the same federation query planner the gateway uses for
// queries. The planner splits it in two (a SubscriptionNode): `primary`, the fetch that
// subscribes at the subgraph owning the root field, and `rest`, the plan that completes
// each event with the other subgraphs' fields (the `_entities` fetches a query would make
// after its first fetch). docs/subscriptions.md.
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { buildOperationContext } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';

type OperationContext = ReturnType<typeof buildOperationContext>;

export interface SubscriptionPlan {
  /** The subscription sent to the owning subgraph. */
  primary: FetchNode;
  /** What each event still needs from other subgraphs; undefined when the owner answers it all. */
  rest?: PlanNode;
  operationContext: OperationContext;
}

export interface SubscriptionPlanner {
  /** The API schema clients validate against (what the gateway serves). */
  apiSchema: GraphQLSchema;
  /** Plans a validated subscription document; `source` (its text) keys the cache. */
  plan(document: DocumentNode, operationName: string | undefined, source: string): SubscriptionPlan;
  /** What executeQueryPlan needs to shape each event. */
  schemas: { supergraph: GraphQLSchema; api: Schema };
}

/** Plans kept, by operation text: clients send the same few subscriptions again and again. */
const PLAN_CACHE_SIZE = 500;

export function createSubscriptionPlanner(supergraphSdl: string): SubscriptionPlanner {
  const supergraph = Supergraph.build(supergraphSdl);
  const api = supergraph.apiSchema();
  const apiSchema = api.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const cache = new Map<string, SubscriptionPlan>();

  return {
    apiSchema,
    schemas: { supergraph: supergraph.schema.toGraphQLJSSchema(), api },
    plan(document, operationName, source) {
      const key = `${operationName ?? ''}\n${source}`;
      const known = cache.get(key);
      if (known) return known;
      const operation = operationFromDocument(api, document, { operationName });
      const { node } = planner.buildQueryPlan(operation);
      if (node?.kind !== 'Subscription') throw new TypeError(`Expected a subscription plan, got ${node?.kind ?? 'an empty plan'}.`);
      const plan = { primary: node.primary, rest: node.rest, operationContext: buildOperationContext({ schema: apiSchema, operationDocument: document, operationName }) };
      if (cache.size >= PLAN_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, plan);
      return plan;
    },
  };
}
