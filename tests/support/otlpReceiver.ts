// A real OTLP/HTTP trace receiver for tests: an HTTP server on a free port that takes what
// the services' exporters send to /v1/traces, in either encoding (http/json or
// http/protobuf, decoded here by the message layout of opentelemetry-proto's
// ExportTraceServiceRequest), and keeps every span with the service that sent it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export interface OtlpReceiver {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT points at. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** The content types of the export requests received, per service. */
  encodings: Map<string, Set<string>>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const encodings = new Map<string, Set<string>>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url !== '/v1/traces' || request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      const type = String(request.headers['content-type'] ?? '');
      const body = Buffer.concat(chunks);
      const received = type.includes('json') ? fromJson(JSON.parse(body.toString('utf8'))) : fromProtobuf(body);
      for (const span of received) {
        spans.push(span);
        encodings.set(span.service, (encodings.get(span.service) ?? new Set()).add(type.includes('json') ? 'json' : 'protobuf'));
      }
      // An empty ExportTraceServiceResponse: all accepted.
      if (type.includes('json')) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    encodings,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()),
  };
}

// Private: OTLP/JSON, where ids are hex strings and enums numbers.
function fromJson(request: any): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const service = String(attributesOf(resourceSpans.resource?.attributes ?? [])['service.name'] ?? '');
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes ?? []),
        });
      }
    }
  }
  return spans;
}

function attributesOf(list: { key: string; value: Record<string, unknown> }[]): Record<string, string | number | boolean> {
  return Object.fromEntries(list.map(({ key, value }) => [key, (value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue) as string]));
}

// Private: protobuf, field by field. Only the fields read here are decoded; the rest is skipped.
type Field = { number: number; wire: number; value: bigint | Buffer };

function* fields(buffer: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buffer[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const wire = key & 7;
    const number = key >>> 3;
    if (wire === 0) yield { number, wire, value: varint() };
    else if (wire === 1) yield { number, wire, value: buffer.subarray(at, (at += 8)) };
    else if (wire === 5) yield { number, wire, value: buffer.subarray(at, (at += 4)) };
    else if (wire === 2) {
      const length = Number(varint());
      yield { number, wire, value: buffer.subarray(at, (at += length)) };
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
}

const each = (buffer: Buffer, number: number) => [...fields(buffer)].filter((field) => field.number === number).map((field) => field.value);
const bytes = (buffer: Buffer, number: number) => (each(buffer, number)[0] as Buffer | undefined) ?? Buffer.alloc(0);

function protobufAttributes(message: Buffer, number: number): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const keyValue of each(message, number) as Buffer[]) {
    const key = bytes(keyValue, 1).toString('utf8');
    // AnyValue: 1 string, 2 bool, 3 int, 4 double.
    for (const field of fields(bytes(keyValue, 2))) {
      if (field.number === 1) attributes[key] = (field.value as Buffer).toString('utf8');
      else if (field.number === 2) attributes[key] = field.value === 1n;
      else if (field.number === 3) attributes[key] = Number(field.value as bigint);
      else if (field.number === 4) attributes[key] = (field.value as Buffer).readDoubleLE(0);
    }
  }
  return attributes;
}

function fromProtobuf(request: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans.resource = 1, scope_spans = 2;
  // Resource.attributes = 1; ScopeSpans.spans = 2; Span: trace_id 1, span_id 2,
  // parent_span_id 4, name 5, kind 6, attributes 9.
  for (const resourceSpans of each(request, 1) as Buffer[]) {
    const service = String(protobufAttributes(bytes(resourceSpans, 1), 1)['service.name'] ?? '');
    for (const scopeSpans of each(resourceSpans, 2) as Buffer[]) {
      for (const span of each(scopeSpans, 2) as Buffer[]) {
        spans.push({
          service,
          traceId: bytes(span, 1).toString('hex'),
          spanId: bytes(span, 2).toString('hex'),
          parentSpanId: bytes(span, 4).toString('hex'),
          name: bytes(span, 5).toString('utf8'),
          kind: Number((each(span, 6)[0] as bigint | undefined) ?? 0n),
          attributes: protobufAttributes(span, 9),
        });
      }
    }
  }
  return spans;
}
