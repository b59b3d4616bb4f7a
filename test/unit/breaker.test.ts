import { PorticoError } from '../../shared/errors';
import { ClientFault, DEFAULT_BREAKER_OPTIONS, breakerOptionsFor, createUpstreamBreaker, type BreakerState } from '../../shared/upstream/breaker';

const FAST = { ...DEFAULT_BREAKER_OPTIONS, errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 100, rollingWindowMs: 10_000 };

function failing(): Promise<never> {
  return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
}

describe('upstream circuit breaker', () => {
  const breakers: Array<ReturnType<typeof createUpstreamBreaker>> = [];
  afterEach(() => {
    for (const b of breakers.splice(0)) b.shutdown();
  });
  function make(onState?: (u: string, s: BreakerState) => void) {
    const b = createUpstreamBreaker('orders', FAST, onState);
    breakers.push(b);
    return b;
  }

  it('stays closed below the minimum volume, then opens on the failure rate', async () => {
    const transitions: BreakerState[] = [];
    const breaker = make((_u, s) => transitions.push(s));
    for (let i = 0; i < 3; i++) await expect(breaker.run(failing)).rejects.toThrow('ECONNREFUSED');
    expect(breaker.state()).toBe('closed');
    await expect(breaker.run(failing)).rejects.toThrow('ECONNREFUSED');
    expect(breaker.state()).toBe('open');
    expect(transitions).toEqual(['open']);
  });

  it('fails fast while open with UPSTREAM_CIRCUIT_OPEN and a Retry-After, without calling', async () => {
    const breaker = make();
    for (let i = 0; i < 4; i++) await breaker.run(failing).catch(() => undefined);
    let called = 0;
    const err = await breaker.run(async () => ++called).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PorticoError);
    expect(err).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', statusCode: 503, headers: { 'retry-after': '1' } });
    expect(called).toBe(0);
    expect(() => breaker.assertNotOpen()).toThrow(PorticoError);
  });

  it('lets a trial call through after the reset timeout and closes on success', async () => {
    const transitions: BreakerState[] = [];
    const breaker = make((_u, s) => transitions.push(s));
    for (let i = 0; i < 4; i++) await breaker.run(failing).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    expect(breaker.state()).toBe('half_open');
    await expect(breaker.run(async () => 'ok')).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(transitions).toEqual(['open', 'half_open', 'closed']);
  });

  it('counts 5xx results as failures but still returns them', async () => {
    const breaker = make();
    for (let i = 0; i < 4; i++) {
      await expect(breaker.run(async () => ({ status: 503 }), (r) => r.status >= 500)).resolves.toEqual({ status: 503 });
    }
    expect(breaker.state()).toBe('open');
  });

  it('never opens on client faults (4xx)', async () => {
    const breaker = make();
    for (let i = 0; i < 10; i++) {
      await expect(breaker.run(() => Promise.reject(new ClientFault(new Error('bad input'))))).rejects.toThrow('bad input');
      await expect(breaker.run(async () => ({ status: 404 }), (r) => r.status >= 500)).resolves.toEqual({ status: 404 });
    }
    expect(breaker.state()).toBe('closed');
  });

  it('merges global settings with per-upstream overrides', () => {
    expect(breakerOptionsFor({ all: { volumeThreshold: 20 }, upstreams: { orders: { resetTimeoutMs: 1000 } } }, 'orders')).toEqual({
      errorThresholdPercentage: 50,
      volumeThreshold: 20,
      resetTimeoutMs: 1000,
      rollingWindowMs: 10_000,
      slowCallMs: 5_000,
      sustainedFailureMs: 5_000,
    });
  });

  describe('below the volume minimum', () => {
    // A clock the test moves: the sustained-failure rule reads it, opossum's window does not need to.
    let clock = 0;
    const QUIET = { ...FAST, volumeThreshold: 100, slowCallMs: 1_000, sustainedFailureMs: 3_000 };
    function quiet() {
      const b = createUpstreamBreaker('inventory', QUIET, undefined, () => clock);
      breakers.push(b);
      return b;
    }
    beforeEach(() => {
      clock = 1_000_000;
    });
    /** Records settle on the next turn. */
    const settled = () => new Promise((r) => setImmediate(r));

    it('opens once failures have lasted the sustained-failure time, measured from the first failed call\'s start', async () => {
      const breaker = quiet();
      // Two timeouts of a hung upstream, each 2 s long: the stretch began 4 s ago.
      breaker.record(true, 2_000);
      await settled();
      clock += 2_000;
      breaker.record(true, 2_000);
      await settled();
      expect(breaker.state()).toBe('open');
    });

    it('never opens on one failure alone, however long it took', async () => {
      const breaker = quiet();
      breaker.record(true, 60_000);
      await settled();
      expect(breaker.state()).toBe('closed');
    });

    it('stays closed while failures have not lasted long enough, or successes keep the rate under the threshold', async () => {
      const breaker = quiet();
      breaker.record(true, 500);
      breaker.record(true, 500);
      await settled();
      expect(breaker.state()).toBe('closed');
      for (let i = 0; i < 4; i++) breaker.record(false, 10);
      clock += 10_000;
      breaker.record(true, 500);
      await settled();
      expect(breaker.state()).toBe('closed');
    });

    it('counts slow calls as failures and still returns their answers', async () => {
      const breaker = quiet();
      const slow = async () => {
        clock += 2_000;
        return 'late';
      };
      await expect(breaker.run(slow)).resolves.toBe('late');
      expect(breaker.state()).toBe('closed');
      await expect(breaker.run(slow)).resolves.toBe('late');
      expect(breaker.state()).toBe('open');
    });
  });
});
