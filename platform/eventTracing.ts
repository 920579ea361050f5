// Trace context through the order events, so one trace shows a request's change and what
// followed from it: the orders service writes the context of the change into the event's
// envelope (the outbox write), the relay replaces it with its publish span's (and puts it
// in the NATS message's headers too), and notifications continues from it when it applies
// the event and when it sends the notification. Both sides share this file.
import { trace, type Context } from '@opentelemetry/api';
import type { OrderEvent } from './events.js';
import { activeContext, extractTrace, injectTrace, startSpan, SpanKind, tracingOn, type TraceCarrier } from './tracing.js';

/** Attributes every event span carries (messaging semantic conventions). */
export const eventAttributes = (event: OrderEvent) => ({
  'messaging.message.id': event.id,
  'messaging.operation.type': 'process',
  'order.id': event.orderId,
  'order.event.type': event.type,
});

/**
 * The outbox write: inside a request, a span for the event's creation whose context the
 * envelope carries from now on. Outside one (seeding) the envelope carries none.
 */
export function traceEventWrite(event: OrderEvent): void {
  if (!tracingOn() || !trace.getSpan(activeContext())) return;
  const span = startSpan(`${event.type} create`, { kind: SpanKind.PRODUCER, attributes: { ...eventAttributes(event), 'messaging.operation.type': 'create' } });
  writeContext(event, trace.setSpan(activeContext(), span));
  span.end();
}

/** Sets (or replaces) the envelope's trace context with `from`'s. */
export function writeContext(event: OrderEvent, from: Context): OrderEvent {
  delete event.traceparent;
  delete event.tracestate;
  const carrier = injectTrace<Record<string, string>>({}, from);
  if (carrier.traceparent) event.traceparent = carrier.traceparent;
  if (carrier.tracestate) event.tracestate = carrier.tracestate;
  return event;
}

/** The context an event continues: its transport's headers when they carry one (NATS), else its envelope's. */
export function eventContext(event: OrderEvent, headers?: TraceCarrier): Context {
  if (headers?.traceparent) return extractTrace(headers);
  return extractTrace({ traceparent: event.traceparent, tracestate: event.tracestate });
}
