/**
 * Tracing is configured by the OpenTelemetry specification's own variables, read as they
 * are named there, so a deployment that already sets them for other services needs nothing
 * Portico-specific. Setting an OTLP endpoint turns tracing on; without one nothing is loaded.
 */
import { oneOf, optionalHttpUrl, optionalText, shownDefault, type EnvVar } from '../config/env';
import { DEFAULT_TRACES_SAMPLER, TRACES_SAMPLERS, type TracingSettings } from './tracing-settings';

function ratio(description: string): EnvVar<number | undefined> {
  return {
    description,
    defaultText: '1',
    parse(raw) {
      if (raw === undefined) return undefined;
      const value = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new Error('must be a number from 0 to 1');
      return value;
    },
  };
}

export const tracingEnvSpec = {
  OTEL_EXPORTER_OTLP_ENDPOINT: shownDefault(
    optionalHttpUrl('OpenTelemetry collector (OTLP/HTTP, JSON) base URL: setting it turns tracing on, spans go to `<url>/v1/traces`. `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TIMEOUT` are read by the exporter as specified'),
    '(none: tracing off)',
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalHttpUrl('full OTLP/HTTP traces URL, used as is instead of `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces` (also turns tracing on)'),
  OTEL_TRACES_SAMPLER: oneOf(`which traces are recorded: ${TRACES_SAMPLERS.map((s) => `\`${s}\``).join(', ')}. A parent is a \`traceparent\` from a client behind \`TRUSTED_PROXIES\`; \`always_off\` sends nothing but still propagates the trace context`, TRACES_SAMPLERS, DEFAULT_TRACES_SAMPLER),
  OTEL_TRACES_SAMPLER_ARG: ratio('ratio of traces recorded by the `traceidratio` samplers, 0 to 1'),
  OTEL_SERVICE_NAME: shownDefault(optionalText('`service.name` of every span'), '`portico-<bff>`'),
  OTEL_SDK_DISABLED: oneOf('`true` turns tracing off whatever else is set', ['true', 'false'] as const, 'false'),
};

type TracingEnv = { [K in keyof typeof tracingEnvSpec]: (typeof tracingEnvSpec)[K] extends EnvVar<infer T> ? T : never };

/** Pure: the tracing settings the variables describe; undefined when tracing is off. */
export function tracingSettingsFrom(env: TracingEnv, base?: TracingSettings): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : base?.tracesUrl);
  if (!tracesUrl) return undefined;
  const serviceName = env.OTEL_SERVICE_NAME ?? base?.serviceName;
  return {
    tracesUrl,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG ?? base?.samplerRatio ?? 1,
    ...(serviceName ? { serviceName } : {}),
  };
}
