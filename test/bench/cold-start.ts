/**
 * The `cold-start` group of `npm run bench`: a fresh web BFF (every policy on) loaded at a
 * fixed rate with the web app's registered operations from the moment `/readyz` first
 * says ready, with no warm-up load of the harness's own. The p99 of the first windows
 * (first 10 s, 30 s and 60 s) is set against the p99 of the steady state at the end of the
 * run, as a ratio; once with `GRAPHQL_WARMUP=off` and once with it on. Target: the first
 * minute's p99 within 2× of the steady state's; the shorter windows show how the first
 * seconds go.
 *
 * Each window's CPU per request is set against the steady state's too. The load arrives in
 * bursts (each second's requests sent at once, up to `connections` in flight), so a p99 is
 * mostly the time to work through one burst, and moves with the CPU per request, but also
 * with a garbage collection that does or does not fall in a window: the CPU ratio says how
 * cold the process itself was, without that noise.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { readOperationFiles } from '../../shared/graphql/operation-files';
import { webPoliciesOn, type BenchContext } from './contestants';
import { REQUEST_TIMEOUT_SEC } from './load';
import { clockTicksPerSecond, readCpuTicks } from './proc-stats';
import { freePort, REPO_ROOT, waitUntilReady, type ProcessRegistry } from './processes';

/** Id of the group for `--only`. */
export const COLD_START_GROUP_ID = 'cold-start';

/** Largest p99 of the target window, as a multiple of the steady state's, that meets the target. */
export const COLD_START_TARGET_RATIO = 2;

/** The window the target is set on: the first minute of load. */
export const COLD_START_TARGET_WINDOW_SEC = 60;

export interface ColdStartSettings {
  /** Requests per second sent, whatever the answers' latency (up to `connections` in flight). */
  rate: number;
  /** Keep-alive connections the rate is spread over. */
  connections: number;
  /** Length of the whole run, in seconds, from the first ready answer. */
  durationSec: number;
  /** The cold windows, each from the start, in seconds (e.g. [10, 30]). */
  coldWindowsSec: readonly number[];
  /** The steady-state window: the last this many seconds of the run. */
  steadySec: number;
}

/**
 * Full mode: 370 requests per second, the rate at which the slow first seconds were
 * reported; 150 s per run, so the first minute is set against the last minute, a window of
 * the same length (22,200 answers each). With bursty load, one stall (a garbage collection
 * in the BFF or an upstream, the harness descheduled) delays a whole burst: a window's p99
 * moves with how many such stalls fall in it, and a 20 s steady window saw 11 to 30 ms for the
 * same code. Windows of equal length are exposed to them alike.
 */
export const FULL_COLD_START: ColdStartSettings = { rate: 370, connections: 64, durationSec: 150, coldWindowsSec: [10, 30, 60], steadySec: 60 };

/** Smoke mode: proves the group works; its figures mean nothing. */
export const SMOKE_COLD_START: ColdStartSettings = { rate: 50, connections: 4, durationSec: 3, coldWindowsSec: [1], steadySec: 1 };

/** One answer: when it was sent (seconds from the start of the load) and how long it took. */
export interface LatencySample {
  atSec: number;
  ms: number;
}

/** The process's CPU time so far (user + system, in clock ticks), read at `atSec` from the start of the load. */
export interface CpuSample {
  atSec: number;
  ticks: number;
}

/** How often the gateway's CPU time is read during the load. */
const CPU_SAMPLE_INTERVAL_MS = 250;

/**
 * Pure: the CPU per request, in µs, over about [fromSec, toSec): CPU spent between the last
 * reading at or before `fromSec` and the first at or after `toSec`, over the requests sent
 * between those two readings. Null without readings around the window or requests in it.
 */
export function cpuPerRequestBetween(cpu: readonly CpuSample[], samples: readonly LatencySample[], fromSec: number, toSec: number, ticksPerSec: number): number | null {
  const start = [...cpu].reverse().find((c) => c.atSec <= fromSec);
  const end = cpu.find((c) => c.atSec >= toSec);
  if (!start || !end || end.atSec <= start.atSec) return null;
  const requests = samples.filter((s) => s.atSec >= start.atSec && s.atSec < end.atSec).length;
  if (requests === 0) return null;
  return ((end.ticks - start.ticks) / ticksPerSec) * 1e6 / requests;
}

/** Pure: the `q` quantile (nearest rank) of the samples sent in [fromSec, toSec), or null when there are none. */
function quantileBetween(samples: readonly LatencySample[], fromSec: number, toSec: number, q: number): number | null {
  const values = samples.filter((s) => s.atSec >= fromSec && s.atSec < toSec).map((s) => s.ms);
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))] ?? null;
}

/** Pure: the p99 of the samples sent in [fromSec, toSec), or null when there are none. */
export function p99Between(samples: readonly LatencySample[], fromSec: number, toSec: number): number | null {
  return quantileBetween(samples, fromSec, toSec, 0.99);
}

/** One second of the load: the p50 and p99 of the requests sent in it. */
export interface SecondOfLoad {
  sec: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Seconds of the load shown one by one: where a fresh process's first seconds stand against the rest. */
const SECONDS_SHOWN = 12;

/** Pure: each of the first `count` seconds' p50 and p99. */
export function firstSeconds(samples: readonly LatencySample[], count: number): SecondOfLoad[] {
  return Array.from({ length: count }, (_, sec) => ({ sec, p50Ms: quantileBetween(samples, sec, sec + 1, 0.5), p99Ms: quantileBetween(samples, sec, sec + 1, 0.99) }));
}

export interface ColdWindow {
  /** The window is [0, sec) from the first ready answer. */
  sec: number;
  p99Ms: number | null;
  /** p99Ms / steadyP99Ms. */
  ratio: number | null;
  /** The gateway's CPU per request in the window, in µs (null where /proc cannot be read). */
  cpuUsPerRequest: number | null;
  /** cpuUsPerRequest / steadyCpuUsPerRequest. */
  cpuRatio: number | null;
}

export interface ColdStartResult {
  id: string;
  description: string;
  ok: boolean;
  failure: string | null;
  /** From the process start to the first ready answer, in ms (warm-up happens before it). */
  readyAfterMs: number | null;
  requests: number | null;
  errors: number | null;
  windows: ColdWindow[];
  steadyP99Ms: number | null;
  steadyCpuUsPerRequest: number | null;
  /** The p50 and p99 of each of the first seconds, one by one. */
  seconds: SecondOfLoad[];
  /** The target window (or, in a run shorter than it, the longest cold window) within {@link COLD_START_TARGET_RATIO} of the steady state. */
  withinTarget: boolean | null;
}

interface Variant {
  id: string;
  description: string;
  env: Record<string, string>;
}

const VARIANTS: readonly Variant[] = [
  { id: 'web-warmup-off', description: 'web BFF, policies on, GRAPHQL_WARMUP=off', env: { GRAPHQL_WARMUP: 'off' } },
  { id: 'web-warmup-on', description: 'web BFF, policies on, GRAPHQL_WARMUP=on (the default)', env: { GRAPHQL_WARMUP: 'on' } },
];

/** Variables of the web operations that need some (the demo data has product 1). */
const OPERATION_VARIABLES: Record<string, Record<string, unknown>> = { ProductPage: { upc: '1' } };

/** One request per registered web operation, each sent as the web app sends it: the file's text. */
function webRequests(ctx: BenchContext): autocannon.Request[] {
  const dir = path.join(REPO_ROOT, 'bffs/web/operations');
  return readOperationFiles(dir).map(({ name, file }) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${ctx.token}` },
    body: JSON.stringify({ query: readFileSync(path.join(dir, file), 'utf8'), operationName: name, variables: OPERATION_VARIABLES[name] ?? {} }),
  }));
}

/** The load at a fixed rate, every answer's send time and latency recorded, and the gateway's CPU time read as it goes. */
async function loadAtRate(origin: string, requests: autocannon.Request[], settings: ColdStartSettings, gatewayPid: number): Promise<{ samples: LatencySample[]; cpu: CpuSample[]; errors: number }> {
  const samples: LatencySample[] = [];
  const cpu: CpuSample[] = [];
  let non2xx = 0;
  const startedAt = performance.now();
  const readCpu = (atSec = (performance.now() - startedAt) / 1_000) => {
    const ticks = readCpuTicks(gatewayPid);
    if (ticks !== undefined) cpu.push({ atSec, ticks });
  };
  // The first reading stands for the start of the load: nothing is sent before it.
  readCpu(0);
  const cpuTimer = setInterval(() => readCpu(), CPU_SAMPLE_INTERVAL_MS);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: origin,
        requests,
        connections: settings.connections,
        pipelining: 1,
        overallRate: settings.rate,
        duration: settings.durationSec,
        timeout: REQUEST_TIMEOUT_SEC,
        sampleInt: 100,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client: autocannon.Client, statusCode: number, _bytes: number, responseTimeMs: number) => {
      if (statusCode < 200 || statusCode > 299) non2xx++;
      samples.push({ atSec: (performance.now() - startedAt - responseTimeMs) / 1_000, ms: responseTimeMs });
    });
  }).finally(() => clearInterval(cpuTimer));
  readCpu();
  return { samples, cpu, errors: non2xx + result.errors };
}

/** Pure: whether the target window (the longest cold window in a shorter run) is within the target ratio. */
export function withinTarget(windows: readonly ColdWindow[]): boolean {
  const judged = windows.find((w) => w.sec === COLD_START_TARGET_WINDOW_SEC) ?? windows.reduce<ColdWindow | undefined>((longest, w) => (!longest || w.sec > longest.sec ? w : longest), undefined);
  return judged !== undefined && judged.ratio !== null && judged.ratio <= COLD_START_TARGET_RATIO;
}

/** Runs each variant on a fresh web BFF process. */
export async function runColdStartGroup(env: {
  registry: ProcessRegistry;
  ctx: BenchContext;
  gatewayCpu: number | undefined;
  settings: ColdStartSettings;
  /** Where each variant's BFF writes its CPU profile (`--cpu-prof`), when given. */
  cpuProfDir?: string | undefined;
  /** Environment added to each variant's BFF (the smoke run's smaller warm-up). */
  modeEnv?: Readonly<Record<string, string>>;
  log(line: string): void;
}): Promise<ColdStartResult[]> {
  const { settings } = env;
  const results: ColdStartResult[] = [];
  for (const variant of VARIANTS) {
    env.log(`  ${COLD_START_GROUP_ID}/${variant.id}: ${settings.rate} req/s for ${settings.durationSec} s from the first ready answer`);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const startedAt = performance.now();
    const child = env.registry.start({
      name: `${COLD_START_GROUP_ID}/${variant.id}`,
      role: 'gateway',
      entry: webPoliciesOn.entry,
      ...(webPoliciesOn.nodeArgs ? { nodeArgs: webPoliciesOn.nodeArgs } : {}),
      env: { ...webPoliciesOn.env(env.ctx), ...env.modeEnv, ...variant.env, PORT: String(port), HOST: '127.0.0.1' },
      cpu: env.gatewayCpu,
      cpuProfDir: env.cpuProfDir && path.join(env.cpuProfDir, COLD_START_GROUP_ID),
    });
    try {
      await waitUntilReady(child, origin, webPoliciesOn.ready);
      const readyAfterMs = performance.now() - startedAt;
      const { samples, cpu, errors } = await loadAtRate(origin, webRequests(env.ctx), settings, child.pid);
      const steadyFromSec = settings.durationSec - settings.steadySec;
      const steadyP99Ms = p99Between(samples, steadyFromSec, settings.durationSec);
      const ticksPerSec = clockTicksPerSecond();
      const steadyCpuUsPerRequest = cpuPerRequestBetween(cpu, samples, steadyFromSec, settings.durationSec, ticksPerSec);
      const windows = settings.coldWindowsSec.map((sec) => {
        const p99Ms = p99Between(samples, 0, sec);
        const cpuUsPerRequest = cpuPerRequestBetween(cpu, samples, 0, sec, ticksPerSec);
        return {
          sec,
          p99Ms,
          ratio: p99Ms === null || !steadyP99Ms ? null : p99Ms / steadyP99Ms,
          cpuUsPerRequest,
          cpuRatio: cpuUsPerRequest === null || !steadyCpuUsPerRequest ? null : cpuUsPerRequest / steadyCpuUsPerRequest,
        };
      });
      results.push({
        id: variant.id,
        description: variant.description,
        ok: errors === 0 && samples.length > 0,
        failure: errors > 0 ? `${errors} error(s)` : samples.length === 0 ? 'no answer' : null,
        readyAfterMs,
        requests: samples.length,
        errors,
        windows,
        steadyP99Ms,
        steadyCpuUsPerRequest,
        seconds: firstSeconds(samples, Math.min(SECONDS_SHOWN, settings.durationSec)),
        withinTarget: withinTarget(windows),
      });
    } catch (err) {
      const message = (err as Error).message;
      results.push({ id: variant.id, description: variant.description, ok: false, failure: message.split('\n')[0] ?? 'error', readyAfterMs: null, requests: null, errors: null, windows: [], steadyP99Ms: null, steadyCpuUsPerRequest: null, seconds: [], withinTarget: null });
    } finally {
      await child.stop();
    }
  }
  return results;
}

const fixed = (value: number | null, digits = 1) => (value === null ? '-' : value.toFixed(digits));

/** The cold-start table for stdout. */
export function formatColdStart(results: readonly ColdStartResult[], settings: ColdStartSettings): string {
  const coldHeaders = settings.coldWindowsSec.flatMap((sec) => [`p99 first ${sec} s ms`, `ratio ${sec} s`, `CPU ratio ${sec} s`]);
  const header = ['contestant', 'ready after ms', 'requests', 'errors', ...coldHeaders, `p99 last ${settings.steadySec} s ms`, `CPU us/req last ${settings.steadySec} s`, `first ${Math.min(COLD_START_TARGET_WINDOW_SEC, Math.max(...settings.coldWindowsSec))} s within ${COLD_START_TARGET_RATIO}x`];
  const rows = results.map((r) => [
    r.id,
    fixed(r.readyAfterMs, 0),
    r.requests === null ? '-' : String(r.requests),
    r.errors === null ? '-' : String(r.errors),
    ...settings.coldWindowsSec.flatMap((sec) => {
      const w = r.windows.find((x) => x.sec === sec);
      return [fixed(w?.p99Ms ?? null), fixed(w?.ratio ?? null, 2), fixed(w?.cpuRatio ?? null, 2)];
    }),
    fixed(r.steadyP99Ms),
    fixed(r.steadyCpuUsPerRequest, 0),
    r.ok ? (r.withinTarget ? 'yes' : 'NO') : `FAILED: ${r.failure ?? ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    `Cold start: a fresh web BFF at ${settings.rate} req/s (web operations), p99 of the first windows against the last ${settings.steadySec} s`,
    line(header),
    ...rows.map(line),
    `CPU ratio: the gateway's CPU per request in the window over the last ${settings.steadySec} s's (a p99 also moves with a garbage collection falling in its window or not).`,
    'p50/p99 ms of each first second:',
    ...results.filter((r) => r.seconds.length > 0).map((r) => `  ${r.id}: ${r.seconds.map((s) => `${s.sec}s ${fixed(s.p50Ms, 0)}/${fixed(s.p99Ms, 0)}`).join('  ')}`),
  ].join('\n');
}
