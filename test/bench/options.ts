/**
 * Command line of `npm run bench`: the mode (smoke or full), a contestant filter and the
 * results file.
 */
import path from 'node:path';

/** `full` (default) or `smoke` (`--smoke`). */
export type BenchMode = 'full' | 'smoke';

export interface LoadSettings {
  /** Load before the measured window (JIT, connection pools, caches), in seconds. */
  warmupSec: number;
  /** Measured window, in seconds. */
  measureSec: number;
  /** Concurrent keep-alive connections, one request in flight on each (no pipelining). */
  connections: number;
}

/**
 * Full mode: 3 s of warm-up is enough for V8 to optimise the hot paths and for every pool
 * to fill; a 10 s window holds tens of thousands of requests even for the heavy query, so
 * p99 rests on hundreds of samples; 32 connections keep one gateway core saturated (its
 * event loop always has work queued) without turning latency into pure queueing.
 */
export const FULL_SETTINGS: LoadSettings = { warmupSec: 3, measureSec: 10, connections: 32 };

/** Smoke mode: proves every contestant works end to end, in about 2.5 s per contestant; figures are not meaningful. */
export const SMOKE_SETTINGS: LoadSettings = { warmupSec: 1, measureSec: 1.5, connections: 4 };

/**
 * Environment added to every Portico process a smoke run starts. The smoke run checks that
 * the bench works, not its figures, so a BFF rehearses with 200 warm-up requests instead of
 * the default 5,000 (which take seconds per start, and a smoke run starts a dozen BFFs).
 */
export const SMOKE_PROCESS_ENV: Readonly<Record<string, string>> = { GRAPHQL_WARMUP_REQUESTS: '200' };

/** The parsed command line. */
export interface BenchOptions {
  mode: BenchMode;
  settings: LoadSettings;
  /** Only contestants whose `<group>/<contestant>` id contains this text (plus their group's baseline). */
  only?: string;
  /** Results file (absolute). */
  out: string;
  /** `--cpu-prof <dir>`: each gateway contestant writes a V8 CPU profile there when it stops (absolute). */
  cpuProfDir?: string;
  /** `--help`: print the usage and run nothing. */
  help: boolean;
}

/** `npm run bench -- --help`. */
export const USAGE = `Usage: npm run bench -- [--smoke] [--only <substring>] [--out <file>] [--cpu-prof <dir>]

  --smoke             short run (1 s warm-up, 1.5 s measured, 4 connections) to check that it works;
                      without --only, each peer gateway runs in one group only
  --only <substring>  run only contestants whose "<group>/<contestant>" id contains the text
                      (groups: graphql-heavy, graphql-heavy-benchmark, graphql-light,
                      graphql-cached, rest, attacks, cold-start); a group's baseline always runs
  --out <file>        results file (default bench-results/<timestamp>.json)
  --cpu-prof <dir>    each gateway contestant writes a V8 CPU profile (.cpuprofile) into <dir>;
                      profiling slows the gateway, so figures of such a run are not comparable
`;

/** A bad command line (printed with the usage, exit code 2). */
export class UsageError extends Error {}

/** Parses the arguments after the script name. */
export function parseOptions(argv: readonly string[], repoRoot: string, now = new Date()): BenchOptions {
  let mode: BenchMode = 'full';
  let only: string | undefined;
  let out: string | undefined;
  let cpuProfDir: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--smoke') mode = 'smoke';
    else if (arg === '--only') only = value();
    else if (arg === '--out') out = value();
    else if (arg === '--cpu-prof') cpuProfDir = value();
    else throw new UsageError(`unknown argument: ${arg}`);
  }
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    mode,
    settings: mode === 'smoke' ? SMOKE_SETTINGS : FULL_SETTINGS,
    ...(only !== undefined ? { only } : {}),
    out: path.resolve(out ?? path.join(repoRoot, 'bench-results', `${stamp}.json`)),
    ...(cpuProfDir !== undefined ? { cpuProfDir: path.resolve(cpuProfDir) } : {}),
    help,
  };
}
