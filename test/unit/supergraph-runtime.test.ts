import { createSupergraphRuntime, type SupergraphClock } from '../../shared/graphql/supergraph-runtime';

/** A clock whose timers run only when the test says so. */
function manualClock() {
  let next = 1;
  const timers = new Map<number, { task: () => void; repeat: boolean }>();
  const clock: SupergraphClock = {
    setTimeout: (task) => {
      timers.set(next, { task, repeat: false });
      return next++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    setInterval: (task) => {
      timers.set(next, { task, repeat: true });
      return next++;
    },
    clearInterval: (handle) => void timers.delete(handle as number),
  };
  /** Runs every timer due now (all of them: this clock has no time, only turns). */
  const tick = async () => {
    for (const [id, timer] of [...timers]) {
      if (!timer.repeat) timers.delete(id);
      timer.task();
    }
    // Let the work the timers started settle.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { clock, tick, pending: () => timers.size };
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
type Log = typeof silent;
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

interface Fake {
  sdl: string;
  stopped: boolean;
}

function harness(initial: string | Error) {
  let text: string | Error = initial;
  const { clock, tick, pending } = manualClock();
  const built: Fake[] = [];
  const reloads: string[] = [];
  let gate: Promise<void> | undefined;
  const warnings: unknown[] = [];
  const log: Log = { ...silent, warn: (...args: unknown[]) => void warnings.push(args) };
  const runtime = createSupergraphRuntime<Fake>({
    source: {
      location: 'test',
      read: async () => {
        if (text instanceof Error) throw text;
        return text;
      },
    },
    load: async (sdl) => {
      await gate;
      if (sdl.startsWith('invalid')) throw new Error('invalid supergraph');
      const fake = { sdl, stopped: false };
      built.push(fake);
      return fake;
    },
    stop: async (fake) => {
      fake.stopped = true;
    },
    onReload: (outcome) => reloads.push(outcome),
    log,
    clock,
  });
  return { runtime, tick, pending, built, reloads, setText: (t: string | Error) => (text = t), holdLoads: (until: Promise<void>) => (gate = until), warnings };
}

describe('supergraph runtime', () => {
  it('retries a missing supergraph on the retry timer and is not ready until it loads', async () => {
    const h = harness(Object.assign(new Error('no file'), { code: 'ENOENT' }));
    h.runtime.start();
    await settle();
    expect(h.runtime.readiness()).toEqual({ ok: false, detail: 'supergraph file not found' });
    expect(h.runtime.serve(async () => 'x')).toBeUndefined();
    h.setText('v1');
    await h.tick();
    expect(h.runtime.readiness()).toEqual({ ok: true, detail: 'loaded' });
    expect(h.runtime.current()?.sdl).toBe('v1');
    await h.runtime.stop();
  });

  it('swaps to a settled change and retires the old supergraph once its last request is done', async () => {
    const h = harness('v1');
    h.runtime.start();
    await settle();
    let finish!: () => void;
    const inFlight = h.runtime.serve((s) => new Promise<string>((resolve) => (finish = () => resolve(s.sdl))));
    h.setText('v2');
    await h.tick(); // the watch notices the change and waits for it to settle
    await h.tick(); // settled: v2 loads and serves
    expect(h.runtime.current()?.sdl).toBe('v2');
    expect(h.reloads).toEqual(['success']);
    expect(h.built[0]?.stopped).toBe(false);
    finish();
    await expect(inFlight).resolves.toBe('v1');
    await settle();
    expect(h.built[0]?.stopped).toBe(true);
    await h.runtime.stop();
    expect(h.built[1]?.stopped).toBe(true);
    expect(h.pending()).toBe(0);
  });

  it('keeps serving the current supergraph when a change fails to load, and does not retry the same text', async () => {
    const h = harness('v1');
    h.runtime.start();
    await settle();
    h.setText('invalid v2');
    await h.tick();
    await h.tick();
    expect(h.runtime.current()?.sdl).toBe('v1');
    expect(h.reloads).toEqual(['failure']);
    expect(h.runtime.readiness().detail).toContain('the latest change was refused');
    await h.tick();
    await h.tick();
    expect(h.reloads).toEqual(['failure']);
    await h.runtime.stop();
  });

  it('stop waits for a load under way and stops what it built, so nothing outlives a close during startup', async () => {
    const h = harness('v1');
    let release!: () => void;
    h.holdLoads(new Promise<void>((resolve) => (release = resolve)));
    h.runtime.start();
    await settle();
    let stopped = false;
    const stopping = h.runtime.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false); // the load has not finished, so neither has stop
    release();
    await stopping;
    expect(h.built.map((b) => b.stopped)).toEqual([true]);
    expect(h.runtime.current()).toBeUndefined();
    expect(h.pending()).toBe(0);
  });

  it('a load that fails after stop neither warns nor retries', async () => {
    const h = harness('invalid v1');
    let release!: () => void;
    h.holdLoads(new Promise<void>((resolve) => (release = resolve)));
    h.runtime.start();
    await settle();
    const stopping = h.runtime.stop();
    release();
    await stopping;
    expect(h.pending()).toBe(0);
    expect(h.warnings).toEqual([]);
  });
});
