/**
 * The benchmark's results: the JSON document written to the results file, and the table
 * printed to stdout (one block per group).
 */
import type { AttackResult } from './attacks';
import type { ColdStartResult } from './cold-start';
import type { GroupId, PeerTargets } from './contestants';
import type { BenchMode, LoadSettings } from './options';
import type { PinningPlan } from './proc-stats';

/** Upstream CPU above this share of one core during a window means the upstream services, not the gateway, limited throughput. */
export const UPSTREAM_BOUND_SHARE = 0.8;

/** Machine-wide CPU busy above this share before the run starts earns a warning. */
export const IDLE_BEFORE_START_SHARE = 0.1;

/** Upstream services plus load generator above this share of their shared core: that core, not the gateway, may have limited throughput. */
export const LOAD_CORE_SATURATED_SHARE = 0.9;

/** One contestant's figures in the results file; null where not measured (a FAILED contestant has only its failure). */
export interface ContestantResult {
  id: string;
  description: string;
  baseline: boolean;
  /** The response was fetched, was 2xx JSON without GraphQL errors and equal to the baseline's. */
  ok: boolean;
  /** Why `ok` is false (or why the measurement could not run); null for a skipped contestant. */
  failure: string | null;
  /** Why the contestant was not measured at all (a native program that is not installed, say): not a failure of the run. */
  skipped: string | null;
  /** Size of the checked response body, in bytes. */
  responseBytes: number | null;
  /** Responses in the measured window (any status). */
  requests: number | null;
  windowSec: number | null;
  /** Mean responses per second over the measured window. */
  rps: number | null;
  /** rps divided by the baseline's rps in the same group (1 for the baseline). */
  ratio: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Non-2xx responses, connection errors and timeouts, and 2xx responses with a wrong body in the measured window. */
  errors: number | null;
  non2xx: number | null;
  socketErrors: number | null;
  wrongBodies: number | null;
  /** Gateway process CPU time (user + system) per response in the window, in microseconds. */
  cpuUsPerRequest: number | null;
  /** Gateway process CPU time over the window, as a share of one core (1 = one core busy). */
  gatewayCpuShare: number | null;
  /** Peak resident set of the gateway process (VmHWM), in MiB. */
  peakRssMiB: number | null;
  /** CPU of the five shared upstream services together over the window, as a share of one core. */
  upstreamCpuShare: number | null;
  /** upstreamCpuShare > UPSTREAM_BOUND_SHARE: the upstream services were the bottleneck. */
  upstreamBound: boolean | null;
  /** CPU of this harness (the load generator) over the window, as a share of one core. */
  loadGeneratorCpuShare: number | null;
  /** Upstream services plus load generator above LOAD_CORE_SATURATED_SHARE of one core (meaningful when pinned: they share one). */
  loadCoreSaturated: boolean | null;
  /** CPU other processes used on the gateway's core during the window, as a share of it (pinned runs only). */
  gatewayCoreOtherShare: number | null;
  /** CPU other processes used on the load core (upstream services + harness) during the window (pinned runs only). */
  loadCoreOtherShare: number | null;
  /** CPU the hypervisor took from the gateway's core during the window (pinned runs only). */
  gatewayCoreStealShare: number | null;
  /** Why the window's figures are not trustworthy (other load on the machine), or null. */
  disturbed: string | null;
  /** Share of the window's responses the gateway served from its response cache (Portico with a cache only), or null. */
  cacheHitRatio: number | null;
  /** What answered the window's GraphQL requests (Portico's GraphQL BFFs only), or null. */
  graphqlPaths?: GraphqlPaths | null;
}

/**
 * How Portico answered a window's GraphQL requests, from its metrics: by direct execution or
 * through Apollo Server's pipeline, and which executor ran them (compiled on Portico's, or
 * left to Apollo Gateway's and why).
 */
export interface GraphqlPaths {
  direct: number;
  apolloServer: number;
  compiled: number;
  /** Executions left to Apollo Gateway's executor, by route (`@defer`, `introspection`, `configured`...). */
  fellBack: Record<string, number>;
}

/** Pure: the window's GraphQL paths, from the counters before and after it. */
export function graphqlPathsOf(before: Record<string, number> | undefined, after: Record<string, number> | undefined): GraphqlPaths | null {
  if (!after) return null;
  const delta = (key: string) => (after[key] ?? 0) - (before?.[key] ?? 0);
  const fellBack: Record<string, number> = {};
  for (const key of Object.keys(after)) if (key.startsWith('apollo:')) fellBack[key.slice('apollo:'.length)] = delta(key);
  return { direct: delta('pipeline:direct'), apolloServer: delta('pipeline:apollo-server'), compiled: delta('portico:compiled'), fellBack };
}

/** Pure: the one-line account of a window's GraphQL paths. */
export function formatGraphqlPaths(id: string, paths: GraphqlPaths): string {
  const fellBack = Object.entries(paths.fellBack).filter(([, n]) => n > 0);
  const left = fellBack.length === 0 ? "none left to Apollo Gateway's executor" : `left to Apollo Gateway's executor: ${fellBack.map(([route, n]) => `${route} ${n}`).join(', ')}`;
  return `  ${id}: ${paths.direct} requests by direct execution, ${paths.apolloServer} through Apollo Server's pipeline; ${paths.compiled} executions compiled, ${left}`;
}

/** One group in the results file. */
export interface GroupResult {
  id: GroupId;
  title: string;
  baselineId: string;
  /** Size of the baseline's response body, in bytes. */
  responseBytes: number | null;
  contestants: ContestantResult[];
  /** The group's targets, when it has some (REST: the partner BFF against nginx). */
  targets: PeerTargets | null;
}

/** The results file (`--out`). */
export interface BenchResults {
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  commit: { sha: string; dirty: boolean } | null;
  node: string;
  machine: {
    platform: string;
    release: string;
    arch: string;
    cpuModel: string;
    cpus: number;
    totalMemMiB: number;
    clockTicksPerSec: number;
    procStats: boolean;
    /** Share of all CPUs busy during one second before the run started (something else running?); null when unknown. */
    busyBeforeStart: number | null;
  };
  mode: BenchMode;
  settings: LoadSettings & { pipelining: 1 };
  pinning: PinningPlan;
  groups: GroupResult[];
  /** The attack group; null when `--only` left it out. */
  attacks: AttackResult[] | null;
  /** The cold-start group (GRAPHQL_WARMUP off, then on); null when `--only` left it out. */
  coldStart: ColdStartResult[] | null;
}

type ContestantIdentity = Pick<ContestantResult, 'id' | 'description' | 'baseline'>;

/** A contestant that could not be measured. */
export function failedResult(base: ContestantIdentity, failure: string, responseBytes: number | null = null): ContestantResult {
  return {
    ...base,
    ok: false,
    failure,
    skipped: null,
    responseBytes,
    requests: null,
    windowSec: null,
    rps: null,
    ratio: null,
    p50Ms: null,
    p99Ms: null,
    errors: null,
    non2xx: null,
    socketErrors: null,
    wrongBodies: null,
    cpuUsPerRequest: null,
    gatewayCpuShare: null,
    peakRssMiB: null,
    upstreamCpuShare: null,
    upstreamBound: null,
    loadGeneratorCpuShare: null,
    loadCoreSaturated: null,
    gatewayCoreOtherShare: null,
    loadCoreOtherShare: null,
    gatewayCoreStealShare: null,
    disturbed: null,
    cacheHitRatio: null,
  };
}

/** A contestant left out of the run, with the reason; the run goes on and does not fail for it. */
export function skippedResult(base: ContestantIdentity, reason: string): ContestantResult {
  return { ...failedResult(base, reason), failure: null, skipped: reason };
}

/** True when the contestant was measured, or skipped for a reason outside the code (the run still succeeds). */
export function passedOrSkipped(c: ContestantResult): boolean {
  return c.ok || c.skipped !== null;
}

/** Fills `ratio` of every measured contestant from the group's baseline. */
export function withRatios(contestants: ContestantResult[]): ContestantResult[] {
  const baselineRps = contestants.find((c) => c.baseline)?.rps;
  return contestants.map((c) => ({ ...c, ratio: c.rps !== null && baselineRps ? c.rps / baselineRps : null }));
}

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

function grouped(value: number | null): string {
  return value === null ? '-' : Math.round(value).toLocaleString('en-US');
}

function percent(value: number | null): string {
  return value === null ? '-' : `${Math.round(value * 100)} %`;
}

/** `55.1 KiB`, `229 B`. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}

const COLUMNS = ['contestant', 'rps', 'ratio', 'p50 ms', 'p99 ms', 'errors', 'CPU us/req', 'gw CPU', 'peak RSS MiB', 'upstream CPU', 'load-gen CPU'];

function row(c: ContestantResult): string[] {
  if (!c.ok) return [c.id, c.skipped === null ? 'FAILED' : 'SKIPPED', '-', '-', '-', '-', '-', '-', '-', '-', '-'];
  return [
    c.disturbed ? `${c.id} *` : c.id,
    grouped(c.rps),
    fixed(c.ratio, 2),
    fixed(c.p50Ms, 2),
    fixed(c.p99Ms, 2),
    grouped(c.errors),
    grouped(c.cpuUsPerRequest),
    percent(c.gatewayCpuShare),
    fixed(c.peakRssMiB, 0),
    percent(c.upstreamCpuShare),
    percent(c.loadGeneratorCpuShare),
  ];
}

/** One group as a text table, with its notes (failures, upstream-bound windows) underneath. */
export function formatGroup(group: GroupResult): string {
  const rows = [COLUMNS, ...group.contestants.map(row)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const out = [
    `${group.title}`,
    `  response ${formatBytes(group.responseBytes)} (baseline: ${group.baselineId})`,
    `  ${line(COLUMNS)}`,
    ...rows.slice(1).map((r) => `  ${line(r)}`),
  ];
  for (const c of group.contestants) {
    if (c.skipped !== null) out.push(`  - ${c.id} skipped: ${c.skipped}`);
    else if (!c.ok) out.push(`  ! ${c.id} FAILED: ${c.failure ?? 'unknown'}`);
    else if (c.upstreamBound) out.push(`  ! ${c.id}: upstream services used ${percent(c.upstreamCpuShare)} of their core: they, not the gateway, limited throughput`);
    else if (c.loadCoreSaturated) {
      out.push(`  ! ${c.id}: upstream services + load generator used ${percent((c.upstreamCpuShare ?? 0) + (c.loadGeneratorCpuShare ?? 0))} of their shared core: the figure may be a lower bound`);
    }
    if (c.disturbed) out.push(`  * ${c.id}: disturbed: ${c.disturbed}`);
    if (c.ok && c.cacheHitRatio !== null) out.push(`  ${c.id}: response cache hit ratio ${(c.cacheHitRatio * 100).toFixed(2)} % of the window's responses`);
    if (c.ok && c.graphqlPaths) out.push(formatGraphqlPaths(c.id, c.graphqlPaths));
    if (c.ok && c.errors) {
      out.push(`  ! ${c.id}: ${c.non2xx ?? 0} non-2xx responses, ${c.socketErrors ?? 0} connection errors/timeouts, ${c.wrongBodies ?? 0} 2xx responses with a body unlike the first in the window`);
    }
  }
  const comparison = formatTargets(group);
  if (comparison) out.push(`  ${comparison}`);
  return out.join('\n');
}

/** A figure as a multiple: `5.21x`. */
function times(value: number): string {
  return `${value.toFixed(2)}x`;
}

/** The subject's ratios to the reference (and the baseline), or undefined when either did not run. */
export interface TargetComparison {
  cpuRatio: number | null;
  p99Ratio: number | null;
  rpsRatio: number | null;
  peakRssMiB: number | null;
}

/** Pure: the group's subject against its reference, or undefined when the group has no targets or either was not measured. */
export function compareWithTargets(group: Pick<GroupResult, 'contestants' | 'targets'>): TargetComparison | undefined {
  const { targets } = group;
  if (!targets) return undefined;
  const subject = group.contestants.find((c) => c.id === targets.subjectId && c.ok);
  const reference = group.contestants.find((c) => c.id === targets.referenceId && c.ok);
  if (!subject || !reference) return undefined;
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? a / b : null);
  return {
    cpuRatio: ratio(subject.cpuUsPerRequest, reference.cpuUsPerRequest),
    p99Ratio: ratio(subject.p99Ms, reference.p99Ms),
    rpsRatio: subject.ratio,
    peakRssMiB: subject.peakRssMiB,
  };
}

/** One line under the table: the subject against the reference and the group's targets; undefined when the reference did not run. */
export function formatTargets(group: Pick<GroupResult, 'contestants' | 'targets'>): string | undefined {
  const { targets } = group;
  const found = compareWithTargets(group);
  if (!targets || !found) return undefined;
  const figure = (value: number | null, show: (v: number) => string) => (value === null ? '-' : show(value));
  return [
    `${targets.subjectId} vs ${targets.referenceId}: CPU/req ${figure(found.cpuRatio, times)} (target <= ${targets.maxCpuRatio}x),`,
    `p99 ${figure(found.p99Ratio, times)} (target <= ${targets.maxP99Ratio}x);`,
    `RPS ${figure(found.rpsRatio, times)} the baseline (target >= ${targets.minRpsRatio}x),`,
    `peak RSS ${figure(found.peakRssMiB, (v) => `${v.toFixed(0)} MiB`)} (target <= ${targets.maxPeakRssMiB} MiB)`,
  ].join(' ');
}

/** The header printed before the tables. */
export function formatHeader(results: Pick<BenchResults, 'commit' | 'node' | 'machine' | 'mode' | 'settings' | 'pinning'>): string {
  const { commit, machine, settings, pinning } = results;
  const pin = pinning.applied
    ? `applied (gateway on CPU ${pinning.gatewayCpu}; upstream services and load generator on CPU ${pinning.loadCpu})`
    : `not applied (${pinning.reason ?? 'unknown'})`;
  return [
    `Portico benchmark (${results.mode} mode)`,
    `  commit    ${commit ? `${commit.sha}${commit.dirty ? ' (uncommitted changes)' : ''}` : 'unknown'}`,
    `  node      ${results.node}   machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.totalMemMiB} MiB, ${machine.platform} ${machine.release}`,
    `  load      ${settings.warmupSec} s warm-up + ${settings.measureSec} s measured, ${settings.connections} connections, no pipelining`,
    `  pinning   ${pin}`,
    ...(machine.busyBeforeStart !== null && machine.busyBeforeStart > IDLE_BEFORE_START_SHARE
      ? [`  WARNING   ${percent(machine.busyBeforeStart)} of all CPUs were busy before the start: other processes will disturb the figures`]
      : []),
  ].join('\n');
}

/** Printed under the tables: what each column means. */
export const LEGEND = [
  'rps: mean responses/s in the measured window; ratio: rps / baseline rps of the group.',
  'p50/p99: latency over every response in the window. errors: non-2xx + connection errors/timeouts + 2xx with a body unlike the checked one.',
  "CPU us/req: gateway process user+system CPU (/proc/<pid>/stat) per response. gw CPU: the gateway's share of its core.",
  'peak RSS: VmHWM of the gateway process. upstream CPU: the five upstream services together, as a share of one core;',
  `above ${UPSTREAM_BOUND_SHARE * 100} % they, not the gateway, were the bottleneck. load-gen CPU: this harness (autocannon), on the upstreams' core.`,
  'All shares are of one core (100 % = one core busy for the whole window).',
  '* disturbed: other processes (or the hypervisor) took CPU from a pinned core during the window.',
].join('\n');
