// What both subscription transports (WebSocket, SSE) do with an operation, so that the two
// apply the same rules as the HTTP path: who the caller is (checked once per connection),
// the rate limits (each operation counts as a request), the query limits (tokens, depth,
// aliases, cost…), and the caps on subscriptions held at once. Subscriptions go to the
// federated executor; queries and mutations sent over a subscription transport go through
// Apollo Server as HTTP ones do.
import { randomUUID } from 'node:crypto';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type FormattedExecutionResult, type ValidationRule } from 'graphql';
import { bearerToken, InvalidTokenError, tokenExpiresAt, type Caller, type Tokens } from '../../platform/auth.js';
import { codedError, ErrorCode } from '../../platform/errors.js';
import type { GatewayContext } from '../context.js';
import { clientAddress, type TrustedProxies } from '../clientAddress.js';
import type { RequestLimits } from '../requestLimits.js';
import { sendable, type SubscriptionExecutor } from './execute.js';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner.js';
import type { SubscriptionSettings } from './settings.js';

/** One client connection (a WebSocket, or one SSE request): its caller, checked once. */
export interface LiveSession {
  caller: Caller | null;
  authorization?: string;
  clientIp: string;
  expiresAt?: number;
  request: IncomingMessage;
  /** Subscriptions this connection holds now. */
  active: number;
}

/** What travels from `prepare` to `subscribe`/`execute` as graphql's contextValue. */
interface Prepared {
  session: LiveSession;
  context: GatewayContext;
  source: string;
  plan?: SubscriptionPlan;
  /** Runs what asked to be told when this operation is answered (GatewayContext.whenAnswered). */
  answered(): void;
}

export interface OperationPayload {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  /** `persistedQuery.sha256Hash`: an id from a persisted documents manifest. */
  extensions?: unknown;
}

/** The HTTP path's persisted documents (gateway/persistedDocuments.ts), as these transports use them. */
export interface DocumentResolver {
  documentFor(operation: { query?: unknown; extensions?: unknown }): { query: unknown } | GraphQLError;
}

export interface LiveOperations {
  /** Verifies a connection's Authorization value (none: anonymous); throws InvalidTokenError. */
  openSession(authorization: string | undefined, request: IncomingMessage): Promise<LiveSession>;
  /** Checks an operation; the arguments to run it with, or the errors that refuse it. */
  prepare(session: LiveSession, payload: OperationPayload, response?: ServerResponse): Promise<ExecutionArgs | readonly GraphQLError[]>;
  /** Starts a prepared subscription; past a cap, a result with the error instead. */
  subscribe(args: ExecutionArgs, hooks?: { onSlowConsumer?: () => void }): AsyncIterableIterator<FormattedExecutionResult> | FormattedExecutionResult;
  /** Runs a prepared query or mutation through Apollo Server. */
  execute(args: ExecutionArgs): Promise<FormattedExecutionResult>;
}

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });

export function createLiveOperations(options: {
  settings: SubscriptionSettings;
  tokens: Tokens;
  limits: RequestLimits;
  trustedProxies: TrustedProxies;
  parseOptions: { maxTokens: number };
  validationRules: readonly ValidationRule[];
  planner: SubscriptionPlanner;
  executor: SubscriptionExecutor;
  apollo: ApolloServer<GatewayContext>;
  documents: DocumentResolver;
}): LiveOperations {
  const { settings, planner } = options;
  const rules = [...specifiedRules, ...options.validationRules];
  /** Subscriptions held per user (or, signed out, per client IP) on this gateway instance. */
  const perPrincipal = new Map<string, number>();
  const principal = (session: LiveSession) => (session.caller?.kind === 'user' ? `user:${session.caller.userId}` : `ip:${session.clientIp}`);

  return {
    async openSession(authorization, request) {
      const session: LiveSession = { caller: null, clientIp: clientAddress(request, options.trustedProxies), request, active: 0 };
      const token = bearerToken(authorization);
      if (!token) return session;
      const caller = await options.tokens.verify(token);
      // Service credentials are for subgraph-to-subgraph calls only, never for clients.
      if (caller.kind !== 'user') throw new InvalidTokenError('invalid');
      return { ...session, caller, authorization, expiresAt: tokenExpiresAt(token) };
    },

    async prepare(session, payload, response) {
      if (session.expiresAt !== undefined && Date.now() >= session.expiresAt) {
        return [codedError(ErrorCode.Unauthenticated, 'The token has expired; sign in again.')];
      }
      try {
        await options.limits.admit(session.clientIp, session.caller, response ?? new ServerResponse(session.request));
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      // By id, and in safelist mode only the manifests' documents: as over HTTP.
      const resolved = options.documents.documentFor(payload);
      if (resolved instanceof GraphQLError) return [resolved];
      const { query } = resolved;
      if (typeof query !== 'string') return [badRequest('The operation has no query.')];
      const variables = (payload.variables ?? {}) as Record<string, unknown>;
      if (typeof variables !== 'object' || Array.isArray(variables)) return [badRequest('variables must be an object.')];
      const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
      let document: DocumentNode;
      try {
        document = parse(query, options.parseOptions);
      } catch (error) {
        return [new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
      }
      const invalid = validate(planner.apiSchema, document, rules);
      if (invalid.length > 0) return invalid.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } }));
      const operation = getOperationAST(document, operationName);
      if (!operation) return [badRequest('Name the operation to run (operationName).')];
      // What waits for this operation's end (a sign-in's place among those in flight)
      // runs once it is answered: a query or mutation when executed, a subscription when it ends.
      const onAnswered: (() => void)[] = [];
      const context: GatewayContext = {
        caller: session.caller,
        authorization: session.authorization,
        requestId: randomUUID(),
        clientIp: session.clientIp,
        whenAnswered: (callback) => void onAnswered.push(callback),
        subscription: operation.operation === 'subscription',
      };
      const prepared: Prepared = { session, context, source: query, answered: () => onAnswered.splice(0).forEach((callback) => callback()) };
      if (operation.operation === 'subscription') prepared.plan = planner.plan(document, operationName, query);
      return { schema: planner.apiSchema, document, operationName, variableValues: variables, contextValue: prepared };
    },

    subscribe(args, hooks = {}) {
      const { session, context, plan } = args.contextValue as Prepared;
      const key = principal(session);
      const held = perPrincipal.get(key) ?? 0;
      if (session.active >= settings.maxPerConnection || held >= settings.maxPerUser) {
        const scope = session.active >= settings.maxPerConnection ? `${settings.maxPerConnection} per connection` : `${settings.maxPerUser} per user`;
        return { errors: [codedError(ErrorCode.SubscriptionLimit, `Too many subscriptions at once (at most ${scope}).`)] as never };
      }
      session.active += 1;
      perPrincipal.set(key, held + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        (args.contextValue as Prepared).answered();
        session.active -= 1;
        const left = (perPrincipal.get(key) ?? 1) - 1;
        if (left > 0) perPrincipal.set(key, left);
        else perPrincipal.delete(key);
      };
      const events = options.executor.subscribe({
        plan: plan!,
        variables: (args.variableValues ?? {}) as Record<string, unknown>,
        context,
        expiresAt: session.expiresAt,
        maxQueuedEvents: settings.maxQueuedEvents,
        onSlowConsumer: hooks.onSlowConsumer,
      });
      // The count is given back however the subscription ends: completed by either side, or its connection gone.
      return {
        async next() {
          const result = await events.next();
          if (result.done) release();
          return result;
        },
        async return() {
          release();
          return events.return!();
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },

    async execute(args) {
      const { context, source, answered } = args.contextValue as Prepared;
      const response = await options.apollo
        .executeOperation(
          { query: source, variables: args.variableValues as Record<string, unknown>, operationName: args.operationName ?? undefined },
          { contextValue: context },
        )
        .finally(answered);
      if (response.body.kind !== 'single') return { errors: [{ message: 'Incremental delivery is not served here.', extensions: { code: 'BAD_REQUEST' } }] };
      const { singleResult } = response.body;
      return singleResult.errors ? { ...singleResult, errors: singleResult.errors.map(sendable) } : singleResult;
    },
  };
}
