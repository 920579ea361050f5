// The relay's hop of an order event's trace: a publish span per event per attempt, a
// child of the span that wrote the event (platform/eventTracing.ts), whose context the
// envelope carries on to notifications. A call that carries one event is made inside that
// span (so the HTTP call's traceparent joins it too); a batch's call belongs to no trace.
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { eventAttributes, eventContext, writeContext } from '../../platform/eventTracing.js';
import { markFailed, SpanKind, startSpan, tracingOn } from '../../platform/tracing.js';
import type { EventPublisher } from './eventPublishers.js';

export function tracedPublisher(publisher: EventPublisher): EventPublisher {
  return {
    transport: publisher.transport,
    close: () => publisher.close(),
    async publish(events) {
      if (!tracingOn()) return publisher.publish(events);
      const spans = events.map((event) =>
        startSpan(`${event.type} publish`, {
          kind: SpanKind.PRODUCER,
          parent: eventContext(event),
          attributes: { ...eventAttributes(event), 'messaging.operation.type': 'send', 'messaging.system': publisher.transport === 'nats' ? 'nats' : 'http' },
        }),
      );
      // Copies: the claimed rows keep the context of the write, for a later attempt.
      const sent = events.map((event, i) => writeContext({ ...event }, trace.setSpan(ROOT_CONTEXT, spans[i]!)));
      try {
        const deliveries = await context.with(sent.length === 1 ? trace.setSpan(ROOT_CONTEXT, spans[0]!) : ROOT_CONTEXT, () => publisher.publish(sent));
        deliveries.forEach((delivery, i) => {
          spans[i]!.setAttribute('order.event.outcome', delivery.outcome);
          if (delivery.outcome === 'refused' || delivery.outcome === 'unreachable') markFailed(spans[i]!, delivery.outcome);
        });
        return deliveries;
      } catch (error) {
        for (const span of spans) markFailed(span, (error as Error)?.name ?? 'Error');
        throw error;
      } finally {
        for (const span of spans) span.end();
      }
    },
  };
}
