// Distributed tracing with OpenTelemetry: one trace per client request, from the gateway
// through the subgraphs, their SQL and the order events to the notification sent
// (docs/tracing.md). Off unless an OTLP endpoint is set (platform/tracingSettings.ts): then
// the SDK is never loaded and every helper here is the OpenTelemetry API's no-op, a few
// function calls per request. Spans are made by hand at our own boundaries (HTTP in and
// out, events, sends); Apollo Gateway and Prisma add theirs through the same global API.
import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { readTracingSettings } from './tracingSettings.js';

export { SpanKind, type Context, type Span };

/** A carrier of trace context: HTTP headers, NATS headers, an event's envelope. */
export type TraceCarrier = Record<string, string | string[] | undefined>;

/** Spans of this codebase; the SDK's provider stands behind it once tracing has started. */
const tracer = trace.getTracer('supergraph');
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
let stopSdk: ((timeoutMs: number) => Promise<void>) | undefined;

export interface TracingOptions {
  /**
   * The process takes requests from untrusted clients (the gateway): their traceparent
   * continues their trace id but does not decide whether it is recorded (tracingSampler.ts).
   */
  untrustedParents?: boolean;
  env?: Record<string, string | undefined>;
}

/**
 * Starts tracing for this process if the environment asks for it, before anything else
 * of the service runs. Resolves whether it did. Throws ConfigError for a malformed OTEL_*
 * variable.
 */
export async function startTracing(service: string, options: TracingOptions = {}): Promise<boolean> {
  if (stopSdk) return true;
  const settings = readTracingSettings(options.env ?? process.env, service);
  if (!settings) return false;
  const { startSdk } = await import('./tracingSdk.js');
  stopSdk = await startSdk(settings, { untrustedParents: options.untrustedParents ?? false });
  return true;
}

/** Whether this process records spans. */
export const tracingOn = (): boolean => stopSdk !== undefined;

/** Exports what is still buffered and stops, waiting at most `timeoutMs`: a collector that is down never holds up a stop. */
export async function stopTracing(timeoutMs = 2000): Promise<void> {
  const stop = stopSdk;
  stopSdk = undefined;
  await stop?.(timeoutMs);
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent; the active span when absent. */
  parent?: Context;
}

/**
 * Runs `work` in a new active span that ends when it settles. A failure is recorded on
 * the span (its type, not its message: messages may hold data) and rethrown.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  if (!stopSdk) return work(NO_SPAN);
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.name ?? 'Error' });
    throw error;
  } finally {
    span.end();
  }
}

/** A span that is started and ended by the caller (for work that does not fit one function). */
export function startSpan(name: string, options: SpanOptions = {}): Span {
  if (!stopSdk) return NO_SPAN;
  return tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, options.parent ?? context.active());
}

/** Marks a span failed (a subgraph's error answer, an event refused) without an exception. */
export function markFailed(span: Span, reason: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
}

/** Writes the W3C traceparent (and tracestate) of `from` (the active context) into `carrier`. */
export function injectTrace<T extends Record<string, unknown>>(carrier: T, from: Context = context.active()): T {
  if (stopSdk) propagation.inject(from, carrier);
  return carrier;
}

/** The remote parent a carrier names (none: the root context). */
export function extractTrace(carrier: TraceCarrier): Context {
  if (!stopSdk) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The current context, to continue a trace later from elsewhere (a queue, a timer). */
export const activeContext = (): Context => context.active();

/** Fields added to every log line while tracing is on: the trace and span the line belongs to. */
export function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getSpanContext(context.active());
  return span && span.traceId !== INVALID_SPAN_CONTEXT.traceId ? { traceId: span.traceId, spanId: span.spanId } : {};
}
