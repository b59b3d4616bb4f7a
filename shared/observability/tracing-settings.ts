/**
 * The tracing slice of the server settings: where spans are exported and which traces are
 * sampled. Absent means tracing is off: no SDK is loaded and no hook is registered.
 */
import { Type } from '@sinclair/typebox';

/** The samplers of the OpenTelemetry specification's `OTEL_TRACES_SAMPLER`. */
export const TRACES_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

/** The specification's default sampler: follow a trusted parent's decision, sample every new trace. */
export const DEFAULT_TRACES_SAMPLER: TracesSampler = 'parentbased_always_on';

export interface TracingSettings {
  /** Where spans are sent: an OTLP/HTTP traces URL (`<collector>/v1/traces`), JSON-encoded. */
  tracesUrl: string;
  /** Which traces are recorded. Default {@link DEFAULT_TRACES_SAMPLER}. */
  sampler: TracesSampler;
  /** The ratio of the `traceidratio` samplers, 0 to 1. Default 1. */
  samplerRatio: number;
  /** `service.name` of every span. Default `portico-<bff>`. */
  serviceName?: string;
}

export const TracingSettingsSchema = Type.Object(
  {
    tracesUrl: Type.String({ minLength: 1, description: 'OTLP/HTTP traces URL spans are sent to' }),
    sampler: Type.Union(TRACES_SAMPLERS.map((s) => Type.Literal(s)), { default: DEFAULT_TRACES_SAMPLER }),
    samplerRatio: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Ratio of the traceidratio samplers' }),
    serviceName: Type.Optional(Type.String({ minLength: 1, description: 'service.name of every span (default portico-<bff>)' })),
  },
  { additionalProperties: false },
);
