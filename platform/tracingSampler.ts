// Which spans are kept. Loaded only with the SDK (platform/tracingSdk.ts).
//
// A client's traceparent is a parent (its trace id goes on, so a client can find its own
// request), but it is not obeyed at the edge: an untrusted caller that could set the
// sampled flag, or pick trace ids that a trace-id ratio keeps, could make every request
// of a flood be recorded and exported. At the gateway a trace started by a client is kept
// at the configured ratio by a coin of our own; inside, every service follows its parent.
import { isSpanContextValid, trace, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-node';
import type { SamplerSettings } from './tracingSettings.js';

/** Prisma's spans for SQL sent outside any request (sweeps, the relay's polling): not a trace of anything a user did. */
const PRISMA_SPAN = 'prisma:';

export function createSampler(settings: SamplerSettings, options: { untrustedParents: boolean }): Sampler {
  const root = settings.ratio >= 1 ? new AlwaysOnSampler() : settings.ratio <= 0 ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(settings.ratio);
  const configured = settings.parentBased ? new ParentBasedSampler({ root }) : root;
  return new ServiceSampler(configured, settings.ratio, options.untrustedParents);
}

// Private: the configured sampler, with the two exceptions above.
class ServiceSampler implements Sampler {
  constructor(
    private readonly configured: Sampler,
    private readonly ratio: number,
    private readonly untrustedParents: boolean,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpanContext(context);
    const hasParent = parent !== undefined && isSpanContextValid(parent);
    if (!hasParent && name.startsWith(PRISMA_SPAN)) return { decision: SamplingDecision.NOT_RECORD };
    if (hasParent && parent.isRemote && this.untrustedParents) {
      return { decision: Math.random() < this.ratio ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
    }
    return this.configured.shouldSample(context, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `ServiceSampler{${this.configured.toString()}${this.untrustedParents ? ', remote parents at ratio' : ''}}`;
  }
}
