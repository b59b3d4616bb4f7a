/**
 * The life of a GraphQL BFF's supergraph, apart from what serves it: load it in the
 * background (retrying while the source is missing or invalid), watch the source, swap to
 * a changed supergraph atomically once it loaded, and retire the replaced one when its
 * last request is done. A change that fails to load leaves the current one serving.
 *
 * What a loaded supergraph is (an Apollo server, its handler, its readiness checks) is the
 * caller's: it passes `load` and `stop`. Timers come from an injected clock, so tests can
 * drive retries, watching and the settle wait without waiting.
 */
import type { CheckResult } from '../observability/health';
import { SupergraphFetchError, type SupergraphSource } from './supergraph-source';

export const DEFAULT_LOAD_RETRY_MS = 1_000;
export const DEFAULT_WATCH_SUPERGRAPH_MS = 1_000;
/** How long a changed supergraph must stay the same before it is loaded, in ms. */
export const DEFAULT_CHANGE_SETTLE_MS = 100;

/** The timers the runtime uses; the real ones by default. */
export interface SupergraphClock {
  setTimeout(task: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(task: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const REAL_CLOCK: SupergraphClock = {
  setTimeout: (task, ms) => setTimeout(task, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  // The watch never keeps the process alive on its own.
  setInterval: (task, ms) => setInterval(task, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export interface SupergraphRuntimeLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SupergraphRuntimeOptions<S> {
  source: SupergraphSource;
  /** Builds a serving supergraph from SDL text; rejects when it is invalid. */
  load(sdl: string): Promise<S>;
  /** Stops a supergraph that no longer serves (or never did). */
  stop(supergraph: S): Promise<void>;
  /** Called when `next` becomes the serving supergraph, before `previous` is retired (e.g. to swap readiness checks). */
  onServe?(next: S, previous: S | undefined): void;
  /** Called after every reload attempt of a changed supergraph. */
  onReload?(outcome: 'success' | 'failure'): void;
  log: SupergraphRuntimeLog;
  /** Wait between attempts while the supergraph is missing or invalid, in ms. Default 1,000. */
  loadRetryMs?: number;
  /** How often the source is checked for changes once loaded, in ms; 0 turns watching off. Default 1,000. */
  watchMs?: number;
  /** How long a change must stay the same before it is loaded, in ms. Default 100. */
  settleMs?: number;
  /** Default: the real timers. */
  clock?: SupergraphClock;
}

export interface SupergraphRuntime<S> {
  /** Starts loading in the background; returns at once. */
  start(): void;
  /** The serving supergraph, if one loaded. */
  current(): S | undefined;
  /** Readiness: loaded (and whether the latest change was refused), or why not. */
  readiness(): CheckResult;
  /**
   * Runs one request on the serving supergraph; a replaced supergraph is stopped once its
   * last request is done. Undefined when none is loaded yet (the caller answers NOT_READY).
   */
  serve<T>(handle: (supergraph: S) => Promise<T>): Promise<T> | undefined;
  /** One watch check now (the watch timer calls it too). */
  checkForChange(): Promise<void>;
  /** Stops timers and the serving supergraph. */
  stop(): Promise<void>;
}

interface Loaded<S> {
  value: S;
  /** The text it was built from, to notice changes; a refused change is remembered here too. */
  sdl: string;
  /** Requests currently executing on it. */
  inFlight: number;
  retired: boolean;
}

export function createSupergraphRuntime<S>(opts: SupergraphRuntimeOptions<S>): SupergraphRuntime<S> {
  const { source, log } = opts;
  const clock = opts.clock ?? REAL_CLOCK;
  const retryMs = opts.loadRetryMs ?? DEFAULT_LOAD_RETRY_MS;
  const watchMs = opts.watchMs ?? DEFAULT_WATCH_SUPERGRAPH_MS;
  const settleMs = opts.settleMs ?? DEFAULT_CHANGE_SETTLE_MS;
  let loaded: Loaded<S> | undefined;
  let lastProblem = 'loading';
  let reloadProblem: string | undefined;
  let stopped = false;
  let reloading = false;
  let retryTimer: unknown;
  let watchTimer: unknown;

  const serveNext = (next: Loaded<S>): void => {
    opts.onServe?.(next.value, loaded?.value);
    loaded = next;
  };

  const retire = async (old: Loaded<S>): Promise<void> => {
    old.retired = true;
    if (old.inFlight > 0) return; // the last request to finish on it calls retire again
    await opts.stop(old.value);
  };

  const checkForChange = async (): Promise<void> => {
    if (stopped || reloading || !loaded) return;
    // Claimed before the first await: a check that outlasts the interval (a slow read on a
    // busy machine) must not run beside the next one, or one change would load twice.
    reloading = true;
    try {
      let text: string;
      try {
        text = await source.read();
      } catch (err) {
        // A file being replaced may be briefly absent, a registry briefly down: the next check sees it.
        log.debug({ err, supergraph: source.location }, 'supergraph check failed');
        return;
      }
      if (text === loaded.sdl) return;
      try {
        // A file caught mid-write differs from itself a moment later: only a settled change is loaded.
        await new Promise<void>((resolve) => clock.setTimeout(resolve, settleMs));
        if (stopped || (await source.read().catch(() => undefined)) !== text) return;
        const next = await opts.load(text);
        if (stopped) return await opts.stop(next);
        const previous = loaded;
        serveNext({ value: next, sdl: text, inFlight: 0, retired: false });
        reloadProblem = undefined;
        opts.onReload?.('success');
        log.info({ supergraph: source.location }, 'supergraph reloaded');
        await retire(previous);
      } catch (err) {
        reloadProblem = 'it failed to load';
        opts.onReload?.('failure');
        log.error({ err, supergraph: source.location }, 'supergraph change refused; still serving the previous one');
        // Remember the refused text so it is not retried on every check.
        loaded.sdl = text;
      }
    } finally {
      reloading = false;
    }
  };

  // Loads under way, so stop() can wait for them: a load that finishes after stop() stops
  // what it built itself, and close must not return before that (nor leave it running).
  const pending = new Set<Promise<void>>();
  const track = (work: () => Promise<void>): Promise<void> => {
    const running = work().finally(() => pending.delete(running));
    pending.add(running);
    return running;
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      const sdl = await source.read();
      const result = await opts.load(sdl);
      if (stopped) return await opts.stop(result);
      serveNext({ value: result, sdl, inFlight: 0, retired: false });
      log.info({ supergraph: source.location }, 'supergraph loaded');
      if (watchMs > 0 && !watchTimer) watchTimer = clock.setInterval(() => void track(checkForChange), watchMs);
    } catch (err) {
      // Closed meanwhile: no warning and no retry outlives the close.
      if (stopped) return;
      const code = (err as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'supergraph file not found' : err instanceof SupergraphFetchError ? 'supergraph URL unreachable' : 'supergraph failed to load';
      if (problem !== lastProblem) log.warn({ err, supergraph: source.location }, problem);
      lastProblem = problem;
      retryTimer = clock.setTimeout(() => void track(attempt), retryMs);
    }
  };

  return {
    start: () => void track(attempt),
    current: () => loaded?.value,
    readiness: () =>
      loaded ? { ok: true, detail: reloadProblem ? `loaded; the latest change was refused (${reloadProblem}), the previous supergraph keeps serving` : 'loaded' } : { ok: false, detail: lastProblem },
    serve(handle) {
      const current = loaded;
      if (!current) return undefined;
      current.inFlight += 1;
      return handle(current.value).finally(() => {
        current.inFlight -= 1;
        if (current.retired && current.inFlight === 0) void retire(current);
      });
    },
    checkForChange: () => track(checkForChange),
    async stop() {
      stopped = true;
      clock.clearTimeout(retryTimer);
      clock.clearInterval(watchTimer);
      await Promise.allSettled([...pending]);
      if (loaded) await opts.stop(loaded.value);
    },
  };
}
