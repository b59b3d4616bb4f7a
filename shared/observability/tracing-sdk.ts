/**
 * The OpenTelemetry SDK behind {@link Tracing}: loaded by `startTracing` only when tracing
 * is configured, so a BFF with tracing off never loads it. Spans are batched and sent as
 * OTLP/HTTP JSON; the sampler is the one `OTEL_TRACES_SAMPLER` names. The provider is not
 * registered globally: only Portico's own spans are recorded (libraries that trace through
 * the global API, such as Apollo Gateway, stay silent), and each app has its own.
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import packageJson from '../../package.json';
import type { Tracing } from './tracing';
import type { TracesSampler, TracingSettings } from './tracing-settings';

/** Portico's version, on every span's resource. */
const PORTICO_VERSION = packageJson.version;

/** Pure: the sampler `OTEL_TRACES_SAMPLER` (and its ratio) names. */
export function samplerFor(kind: TracesSampler, ratio: number): Sampler {
  switch (kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

export function createSdkTracing(settings: TracingSettings, defaultServiceName: string): Tracing {
  const exporter = new OTLPTraceExporter({ url: settings.tracesUrl });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName ?? defaultServiceName, [ATTR_SERVICE_VERSION]: PORTICO_VERSION }),
    sampler: samplerFor(settings.sampler, settings.samplerRatio),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return {
    tracer: provider.getTracer('portico', PORTICO_VERSION),
    propagator: new W3CTraceContextPropagator(),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
