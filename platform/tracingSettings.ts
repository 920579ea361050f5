// Which tracing a process does, read once from the standard OpenTelemetry variables
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
// so that any collector or backend is pointed at by the names operators already know.
// No endpoint means no tracing at all: the SDK is not even loaded (platform/tracing.ts).
import { ConfigError, envBool, envOptional, envUrl } from './config.js';

type Env = Record<string, string | undefined>;

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** How the first span of a trace in this process is chosen (OTEL_TRACES_SAMPLER and _ARG). */
export interface SamplerSettings {
  /** The share of new traces kept: 1 for always_on, 0 for always_off, the _ARG for traceidratio. */
  ratio: number;
  /** parentbased_*: a span with a parent follows its parent's decision. */
  parentBased: boolean;
}

export interface TracingSettings {
  serviceName: string;
  protocol: OtlpProtocol;
  sampler: SamplerSettings;
}

const SAMPLERS: Record<string, Omit<SamplerSettings, 'ratio'> & { ratio?: number }> = {
  always_on: { parentBased: false, ratio: 1 },
  always_off: { parentBased: false, ratio: 0 },
  traceidratio: { parentBased: false },
  parentbased_always_on: { parentBased: true, ratio: 1 },
  parentbased_always_off: { parentBased: true, ratio: 0 },
  parentbased_traceidratio: { parentBased: true },
};

/**
 * The process's tracing settings, or null when tracing is off: OTEL_SDK_DISABLED is true,
 * or neither OTEL_EXPORTER_OTLP_TRACES_ENDPOINT nor OTEL_EXPORTER_OTLP_ENDPOINT is set.
 * `service` is the name used when OTEL_SERVICE_NAME is not set.
 */
export function readTracingSettings(env: Env, service: string): TracingSettings | null {
  if (envBool(env, 'OTEL_SDK_DISABLED', false)) return null;
  // The exporter reads these itself (and appends /v1/traces to the general one); they are
  // checked here so that a typo stops start-up instead of losing every span in silence.
  const tracesEndpoint = envUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']);
  const endpoint = envUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']);
  if (!tracesEndpoint && !endpoint) return null;

  const protocolVariable = envOptional(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = envOptional(env, protocolVariable) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(protocolVariable, `must be http/protobuf or http/json (gRPC is not built in), got "${protocol}".`);
  }

  const samplerName = (envOptional(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  const known = SAMPLERS[samplerName];
  if (!known) throw new ConfigError('OTEL_TRACES_SAMPLER', `must be one of ${Object.keys(SAMPLERS).join(', ')}, got "${samplerName}".`);
  let ratio = known.ratio;
  if (ratio === undefined) {
    const raw = envOptional(env, 'OTEL_TRACES_SAMPLER_ARG') ?? '1';
    ratio = Number(raw);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1, got "${raw}".`);
  }
  return { serviceName: envOptional(env, 'OTEL_SERVICE_NAME') ?? service, protocol, sampler: { ratio, parentBased: known.parentBased } };
}
