/**
 * What the benchmark reads about processes and the machine: CPU time and memory from
 * /proc (Linux), the clock tick rate, the CPUs this harness may use, and CPU pinning with
 * `taskset`. Everything degrades to "not available" elsewhere instead of failing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Clock ticks per second assumed when `getconf CLK_TCK` cannot be run (the Linux default). */
export const DEFAULT_CLOCK_TICKS_PER_SEC = 100;

/** True when /proc exposes per-process CPU and memory figures. */
export function procAvailable(): boolean {
  return existsSync('/proc/self/stat') && existsSync('/proc/self/status');
}

/** `getconf CLK_TCK`: the unit of utime and stime in /proc/<pid>/stat. */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 }).trim());
    return Number.isInteger(value) && value > 0 ? value : DEFAULT_CLOCK_TICKS_PER_SEC;
  } catch {
    return DEFAULT_CLOCK_TICKS_PER_SEC;
  }
}

/** User plus system CPU time of a process (all its threads), in clock ticks; undefined when unreadable. */
export function readCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 (utime) and 15 (stime) of proc(5); fields[0] is field 3 (state).
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
  } catch {
    return undefined;
  }
}

/** Sum of `readCpuTicks` over several processes; undefined when any is unreadable. */
export function readTotalCpuTicks(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const ticks = readCpuTicks(pid);
    if (ticks === undefined) return undefined;
    total += ticks;
  }
  return total;
}

/** A memory figure of /proc/<pid>/status (`VmHWM`: peak resident set; `VmRSS`: current), in KiB. */
export function readStatusKib(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Time one CPU (or all, `cpu` undefined) spent since boot, from /proc/stat, in clock ticks. */
export interface CpuTimes {
  /** user + nice + system: time spent running processes. */
  processes: number;
  /** Time the hypervisor gave to someone else while this CPU wanted to run. */
  steal: number;
  /** Every column together. */
  total: number;
}

/** Reads the `cpu` (all CPUs) or `cpuN` line of /proc/stat; undefined when unreadable. */
export function readCpuTimes(cpu?: number): CpuTimes | undefined {
  try {
    const label = cpu === undefined ? 'cpu' : `cpu${cpu}`;
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${label} `));
    if (!line) return undefined;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return { processes: user + nice + system, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return undefined;
  }
}

/** Parses a CPU list such as `0-3,6` into [0, 1, 2, 3, 6]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) continue;
    const last = to !== undefined && Number.isInteger(to) ? to : from;
    for (let cpu = from; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (`Cpus_allowed_list`), or undefined when unknown. */
export function allowedCpus(): number[] | undefined {
  try {
    const match = /^Cpus_allowed_list:\s+(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] ? parseCpuList(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Where `taskset` is, or undefined when it is not installed. */
export function findTaskset(): string | undefined {
  try {
    const found = execFileSync('which', ['taskset'], { encoding: 'utf8', timeout: 2_000 }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

/** Where the gateway, the upstream services and the harness run. */
export interface PinningPlan {
  applied: boolean;
  /** CPU of the gateway under test. */
  gatewayCpu?: number;
  /** CPU shared by the upstream services and the load generator (this harness). */
  loadCpu?: number;
  /** Why pinning was not applied. */
  reason?: string;
}

/**
 * Decides the pinning and pins this harness (every thread, `taskset -a`) to the load CPU.
 * The gateway gets the first allowed CPU to itself; the upstream services and the harness
 * share the second.
 */
export function planAndPinHarness(): PinningPlan {
  if (!findTaskset()) return { applied: false, reason: 'taskset not found' };
  const cpus = allowedCpus();
  const [gatewayCpu, loadCpu] = cpus ?? [];
  if (gatewayCpu === undefined || loadCpu === undefined) return { applied: false, reason: `fewer than 2 CPUs available (${cpus?.join(',') ?? 'unknown'})` };
  try {
    execFileSync('taskset', ['-a', '-cp', String(loadCpu), String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
  } catch (err) {
    return { applied: false, reason: `taskset failed: ${(err as Error).message}` };
  }
  return { applied: true, gatewayCpu, loadCpu };
}
