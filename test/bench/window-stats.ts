/**
 * CPU accounting of one measured window: snapshots taken just before and just after the
 * load, turned into shares of one core for the gateway process, the upstream services,
 * the load generator (this harness), and whatever else ran on the two pinned cores.
 */
import { readCpuTicks, readCpuTimes, readTotalCpuTicks, type CpuTimes, type PinningPlan } from './proc-stats';

/** Other processes above this share of a pinned core during a window disturbed the figures. */
export const DISTURBED_OTHER_SHARE = 0.1;
/** Hypervisor steal above this share of the gateway's core during a window disturbed the figures. */
export const DISTURBED_STEAL_SHARE = 0.05;

/** Cumulative CPU counters at one instant. */
export interface WindowSnapshot {
  gatewayTicks: number | undefined;
  upstreamTicks: number | undefined;
  harness: NodeJS.CpuUsage;
  gatewayCore: CpuTimes | undefined;
  loadCore: CpuTimes | undefined;
}

/** Reads every counter a window needs (per-core ones only when pinned). */
export function takeSnapshot(gatewayPid: number, upstreamPids: readonly number[], pinning: PinningPlan): WindowSnapshot {
  return {
    gatewayTicks: readCpuTicks(gatewayPid),
    upstreamTicks: readTotalCpuTicks(upstreamPids),
    harness: process.cpuUsage(),
    gatewayCore: pinning.applied ? readCpuTimes(pinning.gatewayCpu) : undefined,
    loadCore: pinning.applied ? readCpuTimes(pinning.loadCpu) : undefined,
  };
}

/** CPU use over a window, as shares of one core (1 = one core busy for the whole window); null when not measurable. */
export interface WindowCpu {
  /** Gateway process CPU seconds over the window. */
  gatewayCpuSec: number | null;
  gatewayShare: number | null;
  upstreamShare: number | null;
  loadGeneratorShare: number;
  /** Processes other than the gateway on the gateway's core (pinned runs only). */
  gatewayCoreOtherShare: number | null;
  /** Processes other than the upstream services and this harness on their core (pinned runs only). */
  loadCoreOtherShare: number | null;
  /** Time the hypervisor took from the gateway's core (pinned runs only). */
  gatewayCoreStealShare: number | null;
}

/** The CPU figures of the window between two snapshots. */
export function windowCpu(before: WindowSnapshot, after: WindowSnapshot, clockTicksPerSec: number, windowSec: number): WindowCpu {
  const share = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? null : (to - from) / clockTicksPerSec / windowSec);
  const gatewayShare = share(before.gatewayTicks, after.gatewayTicks);
  const upstreamShare = share(before.upstreamTicks, after.upstreamTicks);
  const harnessUs = after.harness.user - before.harness.user + (after.harness.system - before.harness.system);
  const loadGeneratorShare = harnessUs / 1e6 / windowSec;
  const gatewayCore = share(before.gatewayCore?.processes, after.gatewayCore?.processes);
  const loadCore = share(before.loadCore?.processes, after.loadCore?.processes);
  // The per-CPU figures are in the same ticks as the per-process ones; rounding can leave a
  // small negative remainder, which means nothing else ran.
  const other = (core: number | null, ours: number | null) => (core === null || ours === null ? null : Math.max(0, core - ours));
  return {
    gatewayCpuSec: gatewayShare === null ? null : gatewayShare * windowSec,
    gatewayShare,
    upstreamShare,
    loadGeneratorShare,
    gatewayCoreOtherShare: other(gatewayCore, gatewayShare),
    loadCoreOtherShare: other(loadCore, upstreamShare === null ? null : upstreamShare + loadGeneratorShare),
    gatewayCoreStealShare: share(before.gatewayCore?.steal, after.gatewayCore?.steal),
  };
}

/** Why a window's figures are not trustworthy (other processes or the hypervisor took CPU), or undefined. */
export function disturbance(cpu: WindowCpu): string | undefined {
  const reasons: string[] = [];
  const pct = (v: number) => `${Math.round(v * 100)} %`;
  if ((cpu.gatewayCoreOtherShare ?? 0) > DISTURBED_OTHER_SHARE) reasons.push(`other processes used ${pct(cpu.gatewayCoreOtherShare ?? 0)} of the gateway's core`);
  if ((cpu.loadCoreOtherShare ?? 0) > DISTURBED_OTHER_SHARE) reasons.push(`other processes used ${pct(cpu.loadCoreOtherShare ?? 0)} of the load core`);
  if ((cpu.gatewayCoreStealShare ?? 0) > DISTURBED_STEAL_SHARE) reasons.push(`the hypervisor took ${pct(cpu.gatewayCoreStealShare ?? 0)} of the gateway's core`);
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

/** Share of all CPUs busy over `sampleMs` (user + nice + system + steal), before anything starts; undefined without /proc/stat. */
export async function machineBusyShare(sampleMs = 1_000): Promise<number | undefined> {
  const before = readCpuTimes();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const after = readCpuTimes();
  if (!before || !after || after.total === before.total) return undefined;
  return (after.processes - before.processes + (after.steal - before.steal)) / (after.total - before.total);
}
