/**
 * Tracing's pure parts: which variables turn it on and how, whose trace context a request
 * continues, the client a span names, and the sampler each OTEL_TRACES_SAMPLER value means.
 */
import { trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { readEnv } from '../../shared/config/env';
import { errorType, incomingTraceContext } from '../../shared/observability/tracing';
import { tracingEnvSpec, tracingSettingsFrom } from '../../shared/observability/tracing-env';
import { clientOf } from '../../shared/observability/tracing-plugin';
import { samplerFor } from '../../shared/observability/tracing-sdk';
import { PorticoError } from '../../shared/errors';
import type { Principal } from '../../shared/policies/authn/principal';

const settingsOf = (env: Record<string, string>) => tracingSettingsFrom(readEnv(env, tracingEnvSpec));

describe('tracing settings from the OTEL_* variables', () => {
  it('are off unless an OTLP endpoint is set, and off whatever is set with OTEL_SDK_DISABLED=true', () => {
    expect(settingsOf({})).toBeUndefined();
    expect(settingsOf({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });

  it('send to <endpoint>/v1/traces, or to the traces endpoint as given, with the parent-based sampler by default', () => {
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({ tracesUrl: 'http://collector:4318/v1/traces', sampler: 'parentbased_always_on', samplerRatio: 1 });
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom' })?.tracesUrl).toBe('http://b:4318/custom');
    expect(settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_SERVICE_NAME: 'edge-web' })).toEqual({
      tracesUrl: 'http://a:4318/v1/traces',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      serviceName: 'edge-web',
    });
  });

  it('refuse an unknown sampler, a ratio outside 0..1 and an endpoint that is not http(s), by name', () => {
    expect(() => settingsOf({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER="sometimes": must be one of/);
    expect(() => settingsOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG="1.5": must be a number from 0 to 1/);
    expect(() => settingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

describe('incomingTraceContext', () => {
  const propagator = new W3CTraceContextPropagator();
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it("continues a trusted proxy's trace context", () => {
    const { parent, links } = incomingTraceContext(propagator, { traceparent, tracestate: 'a=1' }, true);
    expect(trace.getSpanContext(parent)).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    expect(links).toEqual([]);
  });

  it("starts a new trace for anyone else's, keeping it as a link", () => {
    const { parent, links } = incomingTraceContext(propagator, { traceparent }, false);
    expect(trace.getSpanContext(parent)).toBeUndefined();
    expect(links).toHaveLength(1);
    expect(links[0]?.context).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
  });

  it('ignores a malformed traceparent, trusted or not', () => {
    for (const trusted of [true, false]) {
      const { parent, links } = incomingTraceContext(propagator, { traceparent: '00-zz-11-01' }, trusted);
      expect(trace.getSpanContext(parent)).toBeUndefined();
      expect(links).toEqual([]);
    }
  });
});

describe('clientOf', () => {
  const key: Principal = { kind: 'client', id: 'acme', clientId: 'acme', scopes: [], roles: [], plan: 'pro', method: 'api-key' };
  const user: Principal = { kind: 'user', id: '42', clientId: 'spa', scopes: [], roles: [], plan: 'default', method: 'jwt' };

  it("names the client by Apollo's client-awareness headers, capped, else by an API key's client", () => {
    expect(clientOf({ headers: { 'apollographql-client-name': 'ios', 'apollographql-client-version': '5.2.0' }, principal: key })).toEqual({ name: 'ios', version: '5.2.0' });
    expect(clientOf({ headers: { 'x-client-name': 'n'.repeat(200) } }).name).toHaveLength(64);
    expect(clientOf({ headers: {}, principal: key })).toEqual({ name: 'acme' });
    // A user's token names no client: its subject is personal data, and its client id is not a client name.
    expect(clientOf({ headers: {}, principal: user })).toEqual({});
  });
});

describe('samplerFor', () => {
  it('gives each OTEL_TRACES_SAMPLER value its sampler', () => {
    expect(samplerFor('always_on', 1).toString()).toBe('AlwaysOnSampler');
    expect(samplerFor('always_off', 1).toString()).toBe('AlwaysOffSampler');
    expect(samplerFor('traceidratio', 0.5).toString()).toBe('TraceIdRatioBased{0.5}');
    expect(samplerFor('parentbased_traceidratio', 0.1).toString()).toMatch(/^ParentBased\{root=TraceIdRatioBased\{0.1\}/);
  });
});

describe('errorType', () => {
  it("is a failure's code or name, never its message", () => {
    expect(errorType(new PorticoError('UPSTREAM_TIMEOUT', 'secret detail'))).toBe('UPSTREAM_TIMEOUT');
    expect(errorType(new TypeError('x'))).toBe('TypeError');
    expect(errorType('text')).toBe('_OTHER');
  });
});
