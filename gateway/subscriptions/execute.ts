// Runs one federated subscription: subscribes at the owning subgraph with the plan's
// primary fetch, and completes each event with the rest of the plan through Apollo's own
// executeQueryPlan, as a query would be completed after its first fetch. The event is
// handed to executeQueryPlan as the primary fetch's answer (a data source that replays
// it), so the other subgraphs are called through the gateway's own data sources (their
// timeouts, circuit breakers, one `_entities` call per subgraph, partial answers) and the
// result is shaped exactly as a query's.
//
// Per event this costs one executeQueryPlan: one `_entities` request per other subgraph the
// selection reaches (none when the owner answers every field) and the shaping of the answer.
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { codedError, ErrorCode, unauthenticated } from '../../platform/errors.js';
import { isLiveEnd, liveQueue } from '../../platform/liveQueue.js';
import type { Logger } from '../../platform/logger.js';
import type { GatewayContext } from '../context.js';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner.js';
import type { Upstream, UpstreamMessage } from './upstream.js';

export interface FederatedSubscriptionArgs {
  plan: SubscriptionPlan;
  variables: Record<string, unknown>;
  context: GatewayContext;
  /** When the caller's token expires: the subscription ends then with UNAUTHENTICATED. */
  expiresAt?: number;
  /** Events waiting to be completed and sent before the subscriber counts as too slow. */
  maxQueuedEvents: number;
  /** Called when the subscriber fell that far behind (the transport drops the connection). */
  onSlowConsumer?: () => void;
}

export interface SubscriptionExecutor {
  subscribe(args: FederatedSubscriptionArgs): AsyncIterableIterator<FormattedExecutionResult>;
}

type Format = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

const DONE = { value: undefined, done: true } as const;
/** setTimeout's longest delay; a token valid for longer is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function createSubscriptionExecutor(options: {
  planner: SubscriptionPlanner;
  upstream: Upstream;
  /** The gateway's data sources by subgraph name (the ones queries use). */
  services: () => ServiceMap;
  format: Format;
  log: Logger;
}): SubscriptionExecutor {
  const { planner, upstream, format, log } = options;

  async function completeEvent(args: FederatedSubscriptionArgs, event: FormattedExecutionResult): Promise<FormattedExecutionResult> {
    const { primary, rest, operationContext } = args.plan;
    const services = options.services();
    // The primary fetch "answers" with the event; any other fetch goes to its subgraph.
    const replay: GraphQLDataSource<GatewayContext> = {
      process: (request) =>
        request.request.query === primary.operation ? Promise.resolve(event as never) : services[primary.serviceName]!.process(request as never),
    };
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
    const requestContext = {
      request: { variables: args.variables, operationName: operationContext.operation.name?.value },
      context: args.context,
      logger: log,
      metrics: {},
    };
    const result = await executeQueryPlan(
      queryPlan,
      { ...services, [primary.serviceName]: replay },
      requestContext as never,
      operationContext,
      planner.schemas.supergraph,
      planner.schemas.api,
    );
    return formatResult(result as { data?: Record<string, unknown> | null; errors?: readonly GraphQLError[] }, format);
  }

  return {
    subscribe(args) {
      const { primary } = args.plan;
      let expiry: NodeJS.Timeout | undefined;
      const queue = liveQueue<UpstreamMessage | { kind: 'expired' }>(() => {
        clearTimeout(expiry);
        unsubscribe();
      }, args.maxQueuedEvents);
      const unsubscribe = upstream.subscribe(
        primary.serviceName,
        {
          query: primary.operation,
          variables: pick(args.variables, primary.variableUsages),
          operationName: primary.operationName,
          authorization: args.context.authorization,
          requestId: args.context.requestId,
        },
        (message) => queue.push(message),
      );
      const armExpiry = () => {
        if (args.expiresAt === undefined) return;
        const wait = args.expiresAt - Date.now();
        if (wait <= 0) return queue.push({ kind: 'expired' });
        expiry = setTimeout(armExpiry, Math.min(wait, MAX_TIMER_MS));
        expiry.unref();
      };
      armExpiry();

      let finished = false;
      const finish = (last?: FormattedExecutionResult): IteratorResult<FormattedExecutionResult> => {
        finished = true;
        void queue.return();
        return last ? { value: last, done: false } : DONE;
      };
      const iterator: AsyncIterableIterator<FormattedExecutionResult> = {
        async next() {
          if (finished) return DONE;
          const item = await queue.next();
          if (item.done || finished) return finish();
          const message = item.value;
          if (isLiveEnd(message)) {
            args.onSlowConsumer?.();
            return finish({ errors: [sendable(format(codedError(ErrorCode.SlowConsumer, `More than ${args.maxQueuedEvents} events were waiting to be sent; subscribe again.`).toJSON(), null))] });
          }
          switch (message.kind) {
            case 'next':
              try {
                return { value: await completeEvent(args, message.result), done: false };
              } catch (error) {
                // A bug, not the client's: masked as any unexpected error, and the subscription goes on.
                log.error({ err: error }, 'could not complete a subscription event');
                return { value: { errors: [sendable(format({ message: (error as Error).message }, error))] }, done: false };
              }
            case 'expired':
              return finish({ errors: [sendable(format(unauthenticated('The token has expired; sign in again.').toJSON(), null))] });
            case 'error':
              return finish({ errors: (message.errors ?? [unavailable(primary.serviceName, format)]).map(sendable) });
            case 'complete':
              return finish();
          }
        },
        return: () => Promise.resolve(finish()),
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
  };
}

/**
 * A formatted (masked) error as the transports want it: graphql-ws and graphql-sse send
 * `error.toJSON()`, so the error that reaches them carries the masked form only.
 */
export function sendable(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions }) as unknown as GraphQLFormattedError;
}

function unavailable(subgraph: string, format: Format): GraphQLFormattedError {
  const error = codedError(ErrorCode.SubgraphUnavailable, `The ${subgraph} service is unavailable.`, { subgraph, reason: 'unreachable' });
  return format(error.toJSON(), null);
}

function formatResult(result: { data?: Record<string, unknown> | null; errors?: readonly GraphQLError[] }, format: Format): FormattedExecutionResult {
  const formatted: FormattedExecutionResult = { data: result.data ?? null };
  if (result.errors?.length) return { ...formatted, errors: result.errors.map((error) => sendable(format(error.toJSON(), error))) };
  return formatted;
}

function pick(variables: Record<string, unknown>, names: string[] | undefined): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names ?? []) if (name in variables) picked[name] = variables[name];
  return picked;
}
