// The gauge every subgraph keeps of the subscriptions it holds, by field: what an
// operator (and a test waiting for a subscription to be in place) reads.
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics.js';

export function liveSubscriptionsGauge(metrics: Metrics): Gauge<'field'> {
  const existing = metrics.registry.getSingleMetric('live_subscriptions');
  if (existing) return existing as Gauge<'field'>;
  return new Gauge({ name: 'live_subscriptions', help: 'Subscriptions held by this instance, by field', labelNames: ['field'], registers: [metrics.registry] });
}
