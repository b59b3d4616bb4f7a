/**
 * `npm run bench`: Portico's web and partner BFFs against baselines and reference proxies
 * (nginx, haproxy), each contestant a fresh process measured in turn against the same
 * upstream service processes.
 *
 * Per group, the baseline runs first: its response to the group's operation is the
 * reference every other contestant's response must equal byte for byte (less a
 * difference the contestant declares, see `bodyAllowance`) before it is measured. Per contestant: start, wait until ready, check the response,
 * warm up, measure a window (throughput, latency, errors, gateway CPU per request, peak
 * RSS, upstream CPU), stop. With `taskset`, the gateway under test has one CPU to itself;
 * the upstream services and this harness share another.
 *
 * Options: see USAGE in options.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiKeyInFile } from '../../shared/dev/api-key-file';
import { ensureDevKeys, mintDevToken } from '../../shared/dev/dev-keys';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../supergraph/subgraphs/catalog';
import { startTraceSink, type TraceSink } from './trace-sink';
import { BENCH_GROUPS, BENCH_PROCESS_ENV, selectContestants, smokeContestants, type BenchContext, type ContestantSpec, type GroupSpec, type NativeContestantSpec } from './contestants';
import { ATTACK_GROUP_ID, formatAttacks, runAttackGroup, type AttackResult } from './attacks';
import { COLD_START_GROUP_ID, formatColdStart, FULL_COLD_START, runColdStartGroup, SMOKE_COLD_START, type ColdStartResult } from './cold-start';
import { bodyDifference, fetchOnce, responseProblem, runLoad, stopRunningLoad, type FetchedResponse } from './load';
import { provideBinary } from './native-binary';
import { parseOptions, SMOKE_PROCESS_ENV, USAGE, UsageError, type BenchOptions } from './options';
import { createProcessRegistry, freePort, REPO_ROOT, waitUntilReady, type ManagedProcess, type ProcessRegistry } from './processes';
import { clockTicksPerSecond, planAndPinHarness, procAvailable, readStatusKib, type PinningPlan } from './proc-stats';
import { disturbance, machineBusyShare, takeSnapshot, windowCpu } from './window-stats';
import { graphqlPathsOf } from './report';
import { failedResult, formatBytes, formatGroup, formatHeader, LEGEND, LOAD_CORE_SATURATED_SHARE, passedOrSkipped, skippedResult, UPSTREAM_BOUND_SHARE, withRatios, type BenchResults, type ContestantResult, type GroupResult } from './report';

const HOST = '127.0.0.1';

/** Lifetime of the dev token: longer than any full run. */
const TOKEN_TTL_SEC = 3_600;

interface Upstreams {
  origins: Record<SubgraphName, string>;
  pids: number[];
}

interface RunEnv {
  options: BenchOptions;
  registry: ProcessRegistry;
  pinning: PinningPlan;
  ctx: BenchContext;
  upstreams: Upstreams;
  clockTicks: number;
  /** The run's temporary folder (removed at the end): native contestants' configs and logs go under it. */
  tmpDir: string;
  /** Environment added to every Portico process this run starts (the smoke run's smaller warm-up). */
  modeEnv: Readonly<Record<string, string>>;
  log(line: string): void;
}

function gitCommit(): BenchResults['commit'] {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
    return sha ? { sha, dirty: status.trim().length > 0 } : null;
  } catch {
    return null;
  }
}

function machine(clockTicksPerSec: number, busyBeforeStart: number | undefined): BenchResults['machine'] {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    totalMemMiB: Math.round(os.totalmem() / 1024 / 1024),
    clockTicksPerSec,
    procStats: procAvailable(),
    busyBeforeStart: busyBeforeStart ?? null,
  };
}

async function startUpstreams(registry: ProcessRegistry, jwksFile: string, cpu: number | undefined): Promise<Upstreams> {
  const started = await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const port = await freePort();
      const child = registry.start({
        name: `upstream ${name}`,
        role: 'upstream',
        entry: 'supergraph/subgraphs/main.ts',
        env: { ...BENCH_PROCESS_ENV, SUBGRAPH: name, PORT: String(port), HOST, ...(name === 'accounts' ? { DEV_JWKS_FILE: jwksFile } : {}) },
        cpu,
      });
      const origin = `http://${HOST}:${port}`;
      await waitUntilReady(child, origin, { method: 'GET', path: '/healthz' });
      return { name, origin, pid: child.pid };
    }),
  );
  return {
    origins: Object.fromEntries(started.map((s) => [s.name, s.origin])) as Record<SubgraphName, string>,
    pids: started.map((s) => s.pid),
  };
}

/** The baseline's first response: every other contestant's must have the same bytes. */
type Reference = FetchedResponse;

/** Response cache counters by status from a Portico gateway's /metrics; undefined when it has none. */
async function cacheCounts(origin: string): Promise<Record<string, number> | undefined> {
  try {
    const res = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    const counts: Record<string, number> = {};
    for (const match of (await res.text()).matchAll(/^portico_response_cache_total\{[^}]*status="(\w+)"[^}]*\} (\d+)/gm)) {
      counts[match[1] as string] = Number(match[2]);
    }
    return Object.keys(counts).length > 0 ? counts : undefined;
  } catch {
    return undefined;
  }
}

/** The GraphQL path counters of a Portico GraphQL BFF, or undefined for any other contestant. */
async function graphqlPathCounts(origin: string): Promise<Record<string, number> | undefined> {
  try {
    const res = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    const counts: Record<string, number> = {};
    const text = await res.text();
    for (const match of text.matchAll(/^portico_graphql_requests_total\{([^}]*)\} (\d+)/gm)) {
      const pipeline = /pipeline="([\w-]+)"/.exec(match[1] as string)?.[1];
      if (pipeline) counts[`pipeline:${pipeline}`] = Number(match[2]);
    }
    for (const match of text.matchAll(/^portico_graphql_plan_executions_total\{([^}]*)\} (\d+)/gm)) {
      const executor = /executor="(\w+)"/.exec(match[1] as string)?.[1];
      const route = /route="([^"]+)"/.exec(match[1] as string)?.[1];
      if (executor && route) counts[`${executor}:${route}`] = Number(match[2]);
    }
    return Object.keys(counts).length > 0 ? counts : undefined;
  } catch {
    return undefined;
  }
}

function cacheHitRatio(before: Record<string, number> | undefined, after: Record<string, number> | undefined): number | null {
  if (!after) return null;
  const delta = (status: string) => (after[status] ?? 0) - (before?.[status] ?? 0);
  const total = delta('HIT') + delta('MISS') + delta('BYPASS');
  return total > 0 ? delta('HIT') / total : null;
}

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
}

/**
 * Finds (or installs) a native contestant's program, writes its config and starts it
 * pinned like every gateway; a program that cannot be had or does not become ready is a
 * reason to skip the contestant, not to fail the run.
 */
async function startNative(env: RunEnv, group: GroupSpec, spec: NativeContestantSpec, port: number, origin: string): Promise<ManagedProcess | { skip: string }> {
  const binary = await provideBinary(spec.binary, env.options.mode, env.log);
  if ('skip' in binary) return binary;
  const dir = path.join(env.tmpDir, group.id, spec.id);
  mkdirSync(dir, { recursive: true });
  const { argv, files } = spec.command(env.ctx, binary.path, { port, dir });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const child = env.registry.start({ name: spec.id, role: 'gateway', argv, env: {}, cpu: env.pinning.gatewayCpu });
  try {
    await waitUntilReady(child, origin, spec.ready);
    return child;
  } catch (err) {
    await child.stop();
    return { skip: `${binary.path} did not start: ${lastLine(child.recentOutput()) ?? (err as Error).message.split('\n')[0]}` };
  }
}

/** Starts one contestant, checks its response, warms it up, measures a window and stops it. */
async function measureContestant(env: RunEnv, group: GroupSpec, spec: ContestantSpec, baseline: boolean, reference: Reference | undefined): Promise<{ result: ContestantResult; reference?: Reference }> {
  const { options, registry, pinning, ctx, upstreams, clockTicks } = env;
  const base = { id: spec.id, description: spec.description, baseline };
  const port = await freePort();
  const origin = `http://${HOST}:${port}`;
  const op = { ...group.operation(ctx), ...(spec.path ? { path: spec.path } : {}) };
  let child: ManagedProcess | undefined;
  try {
    if (spec.kind === 'native') {
      const started = await startNative(env, group, spec, port, origin);
      if ('skip' in started) {
        env.log(`  ${group.id}/${spec.id} skipped: ${started.skip}`);
        return { result: skippedResult(base, started.skip) };
      }
      child = started;
    } else {
      child = registry.start({ name: spec.id, role: 'gateway', entry: spec.entry, ...(spec.nodeArgs ? { nodeArgs: spec.nodeArgs } : {}), env: { ...spec.env(ctx), ...env.modeEnv, PORT: String(port), HOST }, cpu: pinning.gatewayCpu, cpuProfDir: options.cpuProfDir && path.join(options.cpuProfDir, group.id) });
      await waitUntilReady(child, origin, spec.ready);
    }

    const response = await fetchOnce(origin, op);
    const problem = responseProblem(response, group.kind === 'graphql');
    if (problem) return { result: failedResult(base, problem, response.bytes) };
    if (!baseline) {
      if (!reference) return { result: failedResult(base, 'no baseline response to compare with (the baseline failed)', response.bytes) };
      const difference = bodyDifference(response, reference, spec.bodyAllowance);
      if (difference) return { result: failedResult(base, difference, response.bytes) };
    }

    env.log(`  ${group.id}/${spec.id}: response ${formatBytes(response.bytes)}, warming up ${options.settings.warmupSec} s, measuring ${options.settings.measureSec} s`);
    await runLoad(origin, op, options.settings, options.settings.warmupSec, response.text);

    const cacheBefore = await cacheCounts(origin);
    const pathsBefore = group.kind === 'graphql' ? await graphqlPathCounts(origin) : undefined;
    const before = takeSnapshot(child.pid, upstreams.pids, pinning);
    const load = await runLoad(origin, op, options.settings, options.settings.measureSec, response.text);
    const after = takeSnapshot(child.pid, upstreams.pids, pinning);
    const cacheAfter = await cacheCounts(origin);
    const pathsAfter = group.kind === 'graphql' ? await graphqlPathCounts(origin) : undefined;
    const hwmKib = readStatusKib(child.pid, 'VmHWM') ?? readStatusKib(child.pid, 'VmRSS');
    const cpu = windowCpu(before, after, clockTicks, load.windowSec);
    const result: ContestantResult = {
      ...base,
      ok: true,
      failure: null,
      skipped: null,
      responseBytes: response.bytes,
      requests: load.responses,
      windowSec: load.windowSec,
      rps: load.responses / load.windowSec,
      ratio: null,
      p50Ms: load.p50Ms ?? null,
      p99Ms: load.p99Ms ?? null,
      errors: load.non2xx + load.socketErrors + load.wrongBodies,
      non2xx: load.non2xx,
      socketErrors: load.socketErrors,
      wrongBodies: load.wrongBodies,
      cpuUsPerRequest: cpu.gatewayCpuSec === null || load.responses === 0 ? null : (cpu.gatewayCpuSec * 1e6) / load.responses,
      gatewayCpuShare: cpu.gatewayShare,
      peakRssMiB: hwmKib === undefined ? null : hwmKib / 1024,
      upstreamCpuShare: cpu.upstreamShare,
      upstreamBound: cpu.upstreamShare === null ? null : cpu.upstreamShare > UPSTREAM_BOUND_SHARE,
      loadGeneratorCpuShare: cpu.loadGeneratorShare,
      loadCoreSaturated: cpu.upstreamShare === null ? null : cpu.upstreamShare + cpu.loadGeneratorShare > LOAD_CORE_SATURATED_SHARE,
      gatewayCoreOtherShare: cpu.gatewayCoreOtherShare,
      loadCoreOtherShare: cpu.loadCoreOtherShare,
      gatewayCoreStealShare: cpu.gatewayCoreStealShare,
      disturbed: disturbance(cpu) ?? null,
      cacheHitRatio: cacheHitRatio(cacheBefore, cacheAfter),
      graphqlPaths: graphqlPathsOf(pathsBefore, pathsAfter),
    };
    return { result, ...(baseline ? { reference: response } : {}) };
  } catch (err) {
    const message = (err as Error).message;
    process.stderr.write(`${group.id}/${spec.id} failed: ${message}\n`);
    return { result: failedResult(base, message.split('\n')[0] ?? 'error') };
  } finally {
    await child?.stop();
  }
}

async function runGroup(env: RunEnv, group: GroupSpec): Promise<GroupResult> {
  env.log(`${group.title}`);
  const results: ContestantResult[] = [];
  let reference: Reference | undefined;
  for (const [index, spec] of group.contestants.entries()) {
    const measured = await measureContestant(env, group, spec, index === 0, reference);
    if (measured.reference) reference = measured.reference;
    results.push(measured.result);
  }
  const [baseline] = results;
  return { id: group.id, title: group.title, baselineId: baseline?.id ?? '-', responseBytes: baseline?.responseBytes ?? null, contestants: withRatios(results), targets: group.targets ?? null };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), REPO_ROOT);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // An explicit --only runs what it names; the default smoke run (npm test) trims the peers.
  const groups = selectContestants(options.mode === 'smoke' && options.only === undefined ? smokeContestants(BENCH_GROUPS) : BENCH_GROUPS, options.only);
  const withAttacks = options.only === undefined || ATTACK_GROUP_ID.includes(options.only) || options.only.startsWith(`${ATTACK_GROUP_ID}/`);
  const withColdStart = options.only === undefined || COLD_START_GROUP_ID.includes(options.only) || options.only.startsWith(`${COLD_START_GROUP_ID}/`);
  const coldStartSettings = options.mode === 'smoke' ? SMOKE_COLD_START : FULL_COLD_START;
  if (groups.length === 0 && !withAttacks && !withColdStart) {
    process.stderr.write(`--only ${options.only ?? ''}: no contestant matches\n`);
    return 2;
  }

  const registry = createProcessRegistry();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      registry.killAllNow();
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping every started process...\n`);
    stopRunningLoad();
    void registry.stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', () => registry.killAllNow());

  const startedAt = new Date();
  const pinning = planAndPinHarness();
  const clockTicks = clockTicksPerSecond();
  const header = {
    commit: gitCommit(),
    node: process.version,
    machine: machine(clockTicks, await machineBusyShare()),
    mode: options.mode,
    settings: { ...options.settings, pipelining: 1 as const },
    pinning,
  };
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const progress = (line: string) => log(`[${((Date.now() - startedAt.getTime()) / 1_000).toFixed(1).padStart(5)} s] ${line}`);
  log(formatHeader(header));
  log('');

  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'portico-bench-'));
  let traceSink: TraceSink | undefined;
  try {
    // Dev credentials in a temporary directory: the developer's .portico/ is never touched.
    const keys = await ensureDevKeys(path.join(tmpDir, 'dev-keys'));
    const token = await mintDevToken({ sub: '1', ttlSec: TOKEN_TTL_SEC }, keys.dir);
    // An unlisted plan: the `default` rule (RATE_LIMIT_PER_MIN) applies, not a fixed plan limit.
    const { key: apiKey } = createApiKeyInFile(keys.apiKeysFile, { clientId: 'bench', plan: 'bench', scopes: [] }, { replaceClient: true });

    progress('starting the upstream services');
    const upstreams = await startUpstreams(registry, keys.jwksFile, pinning.loadCpu);
    traceSink = await startTraceSink();
    const env: RunEnv = {
      options,
      registry,
      pinning,
      ctx: { upstreamOrigins: upstreams.origins, token, apiKeysFile: keys.apiKeysFile, apiKey, traceSinkEndpoint: traceSink.endpoint },
      upstreams,
      clockTicks,
      tmpDir,
      modeEnv: options.mode === 'smoke' ? SMOKE_PROCESS_ENV : {},
      log: progress,
    };
    const groupResults: GroupResult[] = [];
    for (const group of groups) {
      if (interrupted) break;
      groupResults.push(await runGroup(env, group));
    }
    let attacks: AttackResult[] | null = null;
    if (withAttacks && !interrupted) {
      progress('Attacks on the web BFF (every policy on, default limits), an ordinary query alongside');
      const smoke = options.mode === 'smoke';
      attacks = await runAttackGroup({
        registry,
        ctx: env.ctx,
        gatewayCpu: pinning.gatewayCpu,
        settings: { ...options.settings, connections: Math.min(8, options.settings.connections) },
        repeats: smoke ? 3 : 20,
        windowSec: smoke ? 1 : 3,
        modeEnv: env.modeEnv,
        log: progress,
      });
    }
    let coldStart: ColdStartResult[] | null = null;
    if (withColdStart && !interrupted) {
      progress('Cold start: fresh web BFFs loaded from their first ready answer, GRAPHQL_WARMUP off and on');
      coldStart = await runColdStartGroup({ registry, ctx: env.ctx, gatewayCpu: pinning.gatewayCpu, settings: coldStartSettings, cpuProfDir: options.cpuProfDir, modeEnv: env.modeEnv, log: progress });
    }
    if (interrupted) return 130;

    const results: BenchResults = { schemaVersion: 1, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), ...header, groups: groupResults, attacks, coldStart };
    mkdirSync(path.dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);

    log('');
    for (const group of groupResults) log(`${formatGroup(group)}\n`);
    if (attacks) log(`${formatAttacks(attacks)}\n`);
    if (coldStart) log(`${formatColdStart(coldStart, coldStartSettings)}\n`);
    log(LEGEND);
    const shown = path.relative(process.cwd(), options.out);
    log(`\nresults: ${shown.startsWith('..') ? options.out : shown}`);
    return groupResults.every((g) => g.contestants.every(passedOrSkipped)) && (attacks ?? []).every((a) => a.ok) && (coldStart ?? []).every((c) => c.ok) ? 0 : 1;
  } finally {
    await registry.stopAll();
    await traceSink?.close();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
