import { ReadinessRegistry, recordReadiness, summarizeReadiness } from '../../shared/observability/health';
import { createMetrics } from '../../shared/observability/metrics';
import { metricValue } from '../helpers/metrics';
import { defaultLimiterReadiness } from '../../shared/policies/rate-limit/rate-limit-settings';
import { limiterReadiness } from '../../shared/policies/rate-limit/rate-limit-stage';

describe('readiness', () => {
  it('is ready only when every check passes', () => {
    expect(summarizeReadiness({ a: { ok: true, detail: 'x' }, b: { ok: true, detail: 'y' } }).ready).toBe(true);
    expect(summarizeReadiness({ a: { ok: true, detail: 'x' }, b: { ok: false, detail: 'down' } }).ready).toBe(false);
  });

  it('fails a check that throws or takes longer than the timeout', async () => {
    const registry = new ReadinessRegistry(20);
    registry.add('slow', () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, detail: 'late' }), 200)));
    registry.add('broken', () => {
      throw new Error('boom');
    });
    registry.add('fine', () => ({ ok: true, detail: 'ok' }));
    const report = await registry.evaluate();
    expect(report.ready).toBe(false);
    expect(report.checks).toEqual({ slow: { ok: false, detail: 'timed out' }, broken: { ok: false, detail: 'boom' }, fine: { ok: true, detail: 'ok' } });
  });

  it('refuses two checks with one name', () => {
    const registry = new ReadinessRegistry();
    registry.add('x', () => ({ ok: true, detail: '' }));
    expect(() => registry.add('x', () => ({ ok: true, detail: '' }))).toThrow(/already registered/);
  });
});

describe('rate limiter readiness', () => {
  it('is required by default only when the limiter fails closed', () => {
    expect(defaultLimiterReadiness('closed')).toBe('required');
    expect(defaultLimiterReadiness('open-to-local')).toBe('informational');
    expect(defaultLimiterReadiness(undefined)).toBe('informational');
  });

  it('fails the check for an unreachable store only when required, saying what requests get meanwhile', () => {
    expect(limiterReadiness(true, { failMode: 'closed' }, 'required')).toEqual({ ok: true, detail: 'redis reachable' });
    expect(limiterReadiness(false, { failMode: 'closed' }, 'required')).toEqual({ ok: false, detail: 'redis unreachable: refusing with 503 (fail closed)' });
    expect(limiterReadiness(false, { failMode: 'open-to-local' }, 'informational')).toEqual({ ok: true, detail: 'redis unreachable: deciding locally' });
    expect(limiterReadiness(false, { failMode: 'open-to-local' }, 'required')).toEqual({ ok: false, detail: 'redis unreachable: deciding locally' });
  });

  it('exports the last evaluation as portico_ready and counts every change, not only the ones a scrape sees', async () => {
    const metrics = createMetrics({ bff: 'web', collectDefaultMetrics: false });
    const registry = new ReadinessRegistry(20);
    recordReadiness(registry, metrics);
    let ok = false;
    registry.add('flaky', () => ({ ok, detail: ok ? 'up' : 'down' }));
    await registry.evaluate();
    for (const next of [true, false, true, true]) {
      ok = next;
      await registry.evaluate();
    }
    const text = await metrics.registry.metrics();
    expect(metricValue(text, 'portico_ready', {})).toBe(1);
    expect(metricValue(text, 'portico_readiness_transitions_total', { to: 'ready' })).toBe(2);
    expect(metricValue(text, 'portico_readiness_transitions_total', { to: 'not_ready' })).toBe(1);
  });
});
