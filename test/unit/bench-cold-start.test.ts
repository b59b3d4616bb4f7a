import { cpuPerRequestBetween, firstSeconds, FULL_COLD_START, p99Between, withinTarget, type CpuSample, type LatencySample } from '../bench/cold-start';

/** One request every 10 ms for `sec` seconds, each taking `ms`. */
function steadyLoad(sec: number, ms: number): LatencySample[] {
  return Array.from({ length: sec * 100 }, (_, i) => ({ atSec: i / 100, ms }));
}

describe('cold-start figures', () => {
  it('p99Between takes the 99th percentile of the requests sent in the window only', () => {
    const samples = [...steadyLoad(2, 5), { atSec: 0.5, ms: 900 }, { atSec: 0.6, ms: 800 }, { atSec: 1.5, ms: 700 }];
    expect(p99Between(samples, 0, 1)).toBe(800);
    expect(p99Between(samples, 1, 2)).toBe(5);
    expect(p99Between(samples, 5, 6)).toBeNull();
  });

  it('cpuPerRequestBetween divides the CPU read around the window by the requests sent between those readings', () => {
    const samples = steadyLoad(4, 5);
    // 100 ticks a second: 30 ticks in the first second (300 ms for 100 requests), 10 a second after.
    const cpu: CpuSample[] = [
      { atSec: 0, ticks: 0 },
      { atSec: 1, ticks: 30 },
      { atSec: 2, ticks: 40 },
      { atSec: 3, ticks: 50 },
      { atSec: 4.1, ticks: 61 },
    ];
    expect(cpuPerRequestBetween(cpu, samples, 0, 1, 100)).toBeCloseTo(3_000);
    expect(cpuPerRequestBetween(cpu, samples, 2, 3, 100)).toBeCloseTo(1_000);
    // A window between readings widens to the readings around it.
    expect(cpuPerRequestBetween(cpu, samples, 0.5, 1.5, 100)).toBeCloseTo((40 / 100) * 1e6 / 200);
    // The last reading came after the last request: the requests up to it.
    expect(cpuPerRequestBetween(cpu, samples, 3, 4, 100)).toBeCloseTo((11 / 100) * 1e6 / 100);
  });

  it('cpuPerRequestBetween is null without readings around the window or requests in it', () => {
    const cpu: CpuSample[] = [{ atSec: 1, ticks: 5 }, { atSec: 2, ticks: 9 }];
    expect(cpuPerRequestBetween(cpu, steadyLoad(3, 5), 0, 2, 100)).toBeNull();
    expect(cpuPerRequestBetween(cpu, steadyLoad(3, 5), 1, 3, 100)).toBeNull();
    expect(cpuPerRequestBetween(cpu, [], 1, 2, 100)).toBeNull();
    expect(cpuPerRequestBetween([], steadyLoad(3, 5), 1, 2, 100)).toBeNull();
  });
});

describe('the first seconds one by one', () => {
  it('gives each second its own p50 and p99, null for a second without requests', () => {
    const samples: LatencySample[] = [
      ...Array.from({ length: 100 }, (_, i) => ({ atSec: i / 100, ms: i < 50 ? 10 : 40 })),
      ...Array.from({ length: 100 }, (_, i) => ({ atSec: 1 + i / 100, ms: 5 })),
    ];
    expect(firstSeconds(samples, 3)).toEqual([
      { sec: 0, p50Ms: 10, p99Ms: 40 },
      { sec: 1, p50Ms: 5, p99Ms: 5 },
      { sec: 2, p50Ms: null, p99Ms: null },
    ]);
  });
});

describe('the target', () => {
  const window = (sec: number, ratio: number | null) => ({ sec, p99Ms: null, ratio, cpuUsPerRequest: null, cpuRatio: null });

  it('is judged on the first minute, whatever the shorter windows show', () => {
    expect(withinTarget([window(10, 3.1), window(30, 2.4), window(60, 1.9)])).toBe(true);
    expect(withinTarget([window(10, 1.2), window(30, 1.5), window(60, 2.1)])).toBe(false);
  });

  it('is judged on the longest window in a run shorter than a minute, and is not met without a ratio', () => {
    expect(withinTarget([window(1, 1.5)])).toBe(true);
    expect(withinTarget([window(1, 2.5)])).toBe(false);
    expect(withinTarget([window(60, null)])).toBe(false);
    expect(withinTarget([])).toBe(false);
  });

  it('sets the first minute against a last minute of the same length in full mode', () => {
    expect(FULL_COLD_START.coldWindowsSec).toContain(60);
    expect(FULL_COLD_START.steadySec).toBe(60);
    expect(FULL_COLD_START.durationSec).toBeGreaterThanOrEqual(60 + FULL_COLD_START.steadySec);
  });
});
