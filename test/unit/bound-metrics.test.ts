import { Counter, Histogram, Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from '../../shared/observability/bound-metrics';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same metrics twice: prom-client's own classes, and the bound ones. */
function pair() {
  const make = (bound: boolean) => {
    const registry = new Registry();
    registry.setDefaultLabels({ bff: 'test' });
    const CounterClass = bound ? BoundCounter : Counter;
    const HistogramClass = bound ? BoundHistogram : Histogram;
    return {
      registry,
      counter: new CounterClass({ name: 'requests_total', help: 'h', labelNames: ['route', 'status'] as const, registers: [registry] }),
      histogram: new HistogramClass({ name: 'duration_seconds', help: 'h', labelNames: ['route', 'status'] as const, buckets: BUCKETS, registers: [registry] }),
    };
  };
  return { plain: make(false), bound: make(true) };
}

type Metrics = ReturnType<typeof pair>['plain'];

async function sameExposition(run: (m: Metrics) => void): Promise<string> {
  const { plain, bound } = pair();
  run(plain);
  run(bound);
  const expected = await plain.registry.metrics();
  expect(await bound.registry.metrics()).toBe(expected);
  return expected;
}

describe('bound metric children', () => {
  it('record exactly what prom-client children record, buckets, sums and +Inf included', async () => {
    const text = await sameExposition(({ counter, histogram }) => {
      const ok = counter.labels({ route: '/a', status: '200' });
      const positional = counter.labels('/b', '404');
      const okDuration = histogram.labels({ route: '/a', status: '200' });
      const slowDuration = histogram.labels('/b', '404');
      for (let i = 0; i < 50; i++) {
        ok.inc();
        okDuration.observe(i / 40); // 0 to 1.225 s: every bucket and above the last
      }
      positional.inc(2.5);
      positional.inc(0);
      slowDuration.observe(0.001); // on a bound: counted in that bucket
      slowDuration.observe(7);
    });
    expect(text).toContain('requests_total{route="/a",status="200",bff="test"} 50');
    expect(text).toContain('duration_seconds_bucket{le="+Inf",bff="test",route="/b",status="404"} 2');
  });

  it('show no series before something is recorded in it, as prom-client children do', async () => {
    const text = await sameExposition(({ counter, histogram }) => {
      counter.labels({ route: '/unused', status: '500' });
      histogram.labels({ route: '/unused', status: '500' });
    });
    expect(text).not.toContain('/unused');
  });

  it('keep recording after reset and remove, into the series prom-client creates anew', async () => {
    await sameExposition(({ counter, histogram }) => {
      const ok = counter.labels({ route: '/a', status: '200' });
      const other = counter.labels({ route: '/c', status: '200' });
      const duration = histogram.labels({ route: '/a', status: '200' });
      ok.inc(3);
      other.inc();
      duration.observe(0.5);
      counter.reset();
      histogram.reset();
      ok.inc();
      duration.observe(0.05);
      counter.remove({ route: '/a', status: '200' });
      histogram.remove('/a', '200');
      other.inc(4);
      ok.inc(7);
      duration.observe(0.002);
    });
  });

  it('record into the new series after zero() replaces one', async () => {
    await sameExposition(({ histogram }) => {
      const duration = histogram.labels('/a', '200');
      const other = histogram.labels('/b', '200');
      duration.observe(0.3);
      other.observe(0.2);
      histogram.zero({ route: '/a', status: '200' });
      duration.observe(0.7);
      other.observe(0.02);
    });
  });

  it('is the series a labelled inc or observe updates', async () => {
    await sameExposition(({ counter, histogram }) => {
      counter.labels({ route: '/a', status: '200' }).inc();
      counter.inc({ route: '/a', status: '200' });
      histogram.labels({ route: '/a', status: '200' }).observe(0.2);
      histogram.observe({ route: '/a', status: '200' }, 0.3);
    });
  });

  it("refuse what prom-client refuses, with prom-client's errors", () => {
    const { bound } = pair();
    expect(() => bound.histogram.labels({ route: '/a', nope: 'x' } as never)).toThrow(/label/i);
    expect(() => bound.counter.labels({ route: '/a', nope: 'x' } as never).inc()).toThrow(/label/i);
    // Also when the series already exists (prom-client checks names on every inc).
    bound.counter.inc({ route: '/a' });
    expect(() => bound.counter.labels({ route: '/a', nope: 'x' } as never).inc()).toThrow(/label/i);
    const series = bound.counter.labels({ route: '/a', status: '200' });
    expect(() => series.inc('2' as never)).toThrow(/not a valid number/);
    expect(() => series.inc(-1)).toThrow(/decrease/);
    expect(() => series.inc(Number.POSITIVE_INFINITY)).toThrow(/not a valid number/);
    expect(() => bound.histogram.labels({ route: '/a', status: '200' }).observe(Number.POSITIVE_INFINITY)).toThrow(/not a valid number/);
  });
});
