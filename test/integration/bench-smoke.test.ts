/**
 * The benchmark harness (`npm run bench`) in smoke mode, as a real child process: every
 * contestant of every group is started, answers the same body as its baseline, is
 * measured without errors, and the results file says so. Smoke mode installs nothing, so
 * nginx and haproxy are measured where they are installed and skipped (with the reason)
 * only where they are not. Nothing here is about speed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ATTACKS, CONTROL_ID } from '../bench/attacks';
import { BENCH_GROUPS } from '../bench/contestants';
import { locateBinary } from '../bench/native-binary';
import type { BenchResults, ContestantResult } from '../bench/report';
import { REPO_ROOT } from '../helpers/processes';

/** Longest the harness may run before it is told to stop (SIGTERM, then SIGKILL). */
const HARNESS_TIMEOUT_MS = 360_000;

const EXPECTED_CONTESTANTS: Record<string, string[]> = {
  // The peer gateways run in one group only in the default smoke run (see PEER_GATEWAYS).
  'graphql-heavy': ['apollo-gateway-baseline', 'web-policies-on', 'web-policies-on-apollo-executor', 'web-policies-on-no-dedup', 'web-policies-off', 'apollo-gateway-portico-heap'],
  'graphql-heavy-benchmark': ['apollo-gateway-baseline', 'hive-gateway', 'hive-gateway-rust-planner', 'mercurius-gateway', 'web-policies-on', 'web-policies-off'],
  'graphql-light': ['apollo-gateway-baseline', 'web-policies-on', 'web-policies-on-tracing', 'web-policies-on-apollo-server-pipeline', 'web-policies-off'],
  'graphql-cached': ['web-policies-on', 'web-policies-on-cached'],
  rest: ['direct-upstream', 'nginx', 'haproxy', 'node-proxy-floor', 'fastify-http-proxy', 'partner-policies-on', 'partner-policies-on-full-pipeline', 'partner-policies-off'],
};

/** Native contestants by id, and whether their program is installed here. */
const NATIVE_INSTALLED = new Map(
  BENCH_GROUPS.flatMap((g) => g.contestants).flatMap((c) => (c.kind === 'native' ? [[c.id, locateBinary(c.binary.name) !== undefined] as const] : [])),
);

/** A contestant the harness may skip here: a native one whose program is not installed. */
function mayBeSkipped(c: ContestantResult): boolean {
  return NATIVE_INSTALLED.get(c.id) === false;
}

interface HarnessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runHarness(args: string[]): Promise<HarnessRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/bench/run.ts'), ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // SIGTERM lets the harness stop the processes it started; SIGKILL only if it does not.
    const term = setTimeout(() => child.kill('SIGTERM'), HARNESS_TIMEOUT_MS);
    const kill = setTimeout(() => child.kill('SIGKILL'), HARNESS_TIMEOUT_MS + 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(term);
      clearTimeout(kill);
      resolve({ code, signal, output });
    });
  });
}

describe('npm run bench -- --smoke', () => {
  let dir: string;
  let run: HarnessRun;
  let results: BenchResults | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portico-bench-smoke-'));
    const out = path.join(dir, 'results.json');
    run = await runHarness(['--smoke', '--out', out]);
    results = JSON.parse(await readFile(out, 'utf8').catch(() => 'null')) as BenchResults | undefined;
  }, HARNESS_TIMEOUT_MS + 20_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and prints a table per group', () => {
    if (run.code !== 0) throw new Error(`harness exited with ${run.code ?? run.signal}:\n${run.output}`);
    for (const title of ['GraphQL, heavy query', 'GraphQL, light query', 'REST, one product']) expect(run.output).toContain(title);
  });

  it('writes every contestant of every group to the results file', () => {
    expect(results?.mode).toBe('smoke');
    const found = Object.fromEntries((results?.groups ?? []).map((g) => [g.id, g.contestants.map((c) => c.id)]));
    expect(found).toEqual(EXPECTED_CONTESTANTS);
  });

  it('measured every contestant with a body equal to the baseline, some throughput and no errors', () => {
    for (const group of results?.groups ?? []) {
      for (const c of group.contestants) {
        const label = `${group.id}/${c.id}`;
        if (c.skipped !== null && mayBeSkipped(c)) {
          expect(run.output).toContain(`${label} skipped: ${c.skipped}`);
          continue;
        }
        expect({ label, ok: c.ok, failure: c.failure }).toEqual({ label, ok: true, failure: null });
        expect({ label, errors: c.errors }).toEqual({ label, errors: 0 });
        expect(c.rps).toBeGreaterThan(0);
      }
    }
  });

  it('gives every measured contestant a numeric ratio to its group baseline (1 for the baseline)', () => {
    for (const group of results?.groups ?? []) {
      for (const c of group.contestants) {
        if (c.skipped !== null) continue;
        expect(typeof c.ratio).toBe('number');
        expect(Number.isFinite(c.ratio)).toBe(true);
        if (c.baseline) expect(c.ratio).toBe(1);
      }
    }
  });

  it('sets the partner BFF against nginx under the REST table when nginx ran, and only then', () => {
    const rest = results?.groups.find((g) => g.id === 'rest');
    const nginxRan = rest?.contestants.find((c) => c.id === 'nginx')?.ok === true;
    expect(rest?.targets).toMatchObject({ subjectId: 'partner-policies-on', referenceId: 'nginx' });
    expect({ nginxRan, line: run.output.includes('partner-policies-on vs nginx: CPU/req') }).toEqual({ nginxRan, line: nginxRan });
  });

  it('reports the response cache hit ratio only where a cache is on', () => {
    const cached = results?.groups.find((g) => g.id === 'graphql-cached');
    const ratios = Object.fromEntries((cached?.contestants ?? []).map((c) => [c.id, c.cacheHitRatio]));
    expect(ratios['web-policies-on']).toBeNull();
    expect(ratios['web-policies-on-cached']).toBeGreaterThan(0.9);
  });

  it('runs every attack: refused with its code, nothing reaching an upstream, the ordinary load served, the event-loop delay measured', () => {
    const attacks = results?.attacks ?? [];
    expect(attacks.map((a) => a.id)).toEqual([CONTROL_ID, ...ATTACKS.map((a) => a.id)]);
    for (const a of attacks) {
      expect({ id: a.id, ok: a.ok, failure: a.failure, upstreamCalls: a.upstreamCalls, ordinaryErrors: a.concurrentErrors }).toEqual({ id: a.id, ok: true, failure: null, upstreamCalls: 0, ordinaryErrors: 0 });
      expect(a.eventLoopDelayMaxMs).toEqual(expect.any(Number));
    }
    expect(run.output).toContain('Attacks on the web BFF');
  });

  it('runs the cold-start group: a fresh web BFF with warm-up off, then on, loaded from its first ready answer without errors', () => {
    const rows = results?.coldStart ?? [];
    expect(rows.map((r) => r.id)).toEqual(['web-warmup-off', 'web-warmup-on']);
    for (const r of rows) {
      expect({ id: r.id, ok: r.ok, failure: r.failure, errors: r.errors }).toEqual({ id: r.id, ok: true, failure: null, errors: 0 });
      expect(r.steadyP99Ms).toEqual(expect.any(Number));
      expect(r.windows.map((w) => w.ratio)).toEqual([expect.any(Number)]);
      // Each second of the 3 s smoke load, one by one.
      expect(r.seconds.map((s) => s.sec)).toEqual([0, 1, 2]);
    }
    expect(run.output).toContain('Cold start: a fresh web BFF');
    expect(run.output).toContain('p50/p99 ms of each first second:');
  });

  it('records the run settings and whether the CPUs were pinned', () => {
    expect(results?.settings).toMatchObject({ connections: 4, pipelining: 1 });
    expect(typeof results?.pinning.applied).toBe('boolean');
    expect(results?.node).toBe(process.version);
  });
});
