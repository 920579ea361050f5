// In-flight deduplication of subgraph fetches: identical queries to one subgraph, for one
// caller identity, that overlap in time go out once, and every caller gets the answer.
// Nothing is kept once the fetch settles (an answer or an error): it is shared only with
// callers who asked while it was on its way, so no later request is answered from it.
//
// Each caller gets its own copy of the answer: the gateway's executor merges later fetches
// into the objects of earlier ones, so one shared object would carry one request's data
// into another's.
import { GraphQLError } from 'graphql';
import { Counter, type Registry } from 'prom-client';

interface Flight<T> {
  settled: Promise<T>;
  /** Callers sharing it, its starter included. */
  sharers: number;
}

/** Running fetches by key. One per subgraph (its data source). */
export class InFlightFetches<T> {
  private readonly flights = new Map<string, Flight<T>>();

  /**
   * Joins the fetch running under `key`, or starts one with `start`. `joined` says the
   * answer comes from a fetch another caller started: the caller did not send anything.
   */
  fetch(key: string, start: () => Promise<T>): { answer: Promise<T>; joined: boolean } {
    const running = this.flights.get(key);
    if (running) {
      running.sharers += 1;
      return { answer: running.settled.then(copyAnswer, rethrowCopy), joined: true };
    }
    const flight: Flight<T> = { settled: start(), sharers: 1 };
    this.flights.set(key, flight);
    // Registered first, so it is forgotten before anyone hears the outcome.
    const forget = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    flight.settled.then(forget, forget);
    const answer = flight.settled.then(
      (value) => (flight.sharers > 1 ? copyAnswer(value) : value),
      (error: unknown) => {
        throw flight.sharers > 1 ? copyError(error) : error;
      },
    );
    return { answer, joined: false };
  }

  /** Fetches on their way (for tests). */
  get size(): number {
    return this.flights.size;
  }
}

/** What makes two subgraph fetches the same: document, operation name, variables and the caller's forwarded headers. */
export function fetchKey(request: { query?: string; operationName?: string | null; variables?: Record<string, unknown> | null }, callerHeaders: Record<string, string>): string {
  return JSON.stringify([request.operationName ?? null, request.query ?? '', request.variables ?? null, callerHeaders]);
}

/** The counter of fetches not sent because an identical one was on its way (labelled by subgraph only). */
export function fetchesSavedCounter(registry: Registry): Counter<'subgraph'> {
  return new Counter({
    name: 'gateway_subgraph_fetches_deduplicated_total',
    help: 'Subgraph fetches not sent because an identical one (same document, variables and caller) was already on its way',
    labelNames: ['subgraph'],
    registers: [registry],
  });
}

// Private: subgraph answers are JSON, so a structured clone is a faithful copy.
function copyAnswer<T>(value: T): T {
  return structuredClone(value);
}

// Private: a GraphQLError is copied too (the executor may annotate what it is given); any
// other error has nothing of one caller in it and is passed on as it is.
function copyError(error: unknown): unknown {
  if (!(error instanceof GraphQLError)) return error;
  return new GraphQLError(error.message, { extensions: { ...error.extensions }, originalError: error.originalError });
}

function rethrowCopy(error: unknown): never {
  throw copyError(error);
}
