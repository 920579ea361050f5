// The OpenTelemetry SDK, loaded by platform/tracing.ts only when an endpoint is set: a
// tracer provider with the standard batch span processor (its defaults: at most 2048
// spans queued, 512 a batch, every 5 s; spans beyond the queue are dropped, never waited
// for), an OTLP/HTTP exporter in the configured encoding, W3C trace context, and Prisma's
// instrumentation for a span per SQL statement. An exporter that fails (the collector is
// down, slow, refuses) loses those spans and nothing else: exports run off the request path
// and their errors go to OpenTelemetry's diagnostic logger, which is silent unless set.
import { hostname } from 'node:os';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { createSampler } from './tracingSampler.js';
import type { TracingSettings } from './tracingSettings.js';

/** Starts the SDK; returns how to flush and stop it. */
export async function startSdk(settings: TracingSettings, options: { untrustedParents: boolean }): Promise<(timeoutMs: number) => Promise<void>> {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': settings.serviceName,
      'service.instance.id': `${hostname()}:${process.pid}`,
    }),
    sampler: createSampler(settings.sampler, options),
    spanProcessors: [new BatchSpanProcessor(await createExporter(settings))],
  });
  // Trace context only: baggage from a client is not ours to carry into every service.
  provider.register({ propagator: new W3CTraceContextPropagator() });
  // Prisma's client asks for this global on every query: db_query spans (the SQL text,
  // never its parameters) under an operation span, through either driver adapter.
  const prisma = new PrismaInstrumentation();
  prisma.setTracerProvider(provider);
  prisma.enable();

  return async (timeoutMs) => {
    prisma.disable();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([provider.shutdown().catch(() => {}), bound]);
    clearTimeout(timer);
  };
}

// Private: the exporter reads the endpoint, headers and timeout from the OTEL_* variables itself.
async function createExporter(settings: TracingSettings): Promise<SpanExporter> {
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter();
}
