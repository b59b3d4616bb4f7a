/**
 * How a Portico process leaves a load balancer's rotation. On SIGTERM it starts
 * *draining*: `/readyz` answers 503 and every response says `Connection: close`, while the
 * listener still accepts, so the balancer stops routing here before any connection is
 * refused. Then it *stops*: the listener closes, requests already in flight finish, and a
 * request arriving on a connection that is still open gets `503 SHUTTING_DOWN` with
 * `Connection: close`, never a reset. The phases only move forward.
 */

/** `serving`, then `draining` (SIGTERM, still accepting), then `stopped` (listener closed). */
export type ServingPhase = 'serving' | 'draining' | 'stopped';

/** The shutdown state shared by the lifecycle (which moves it) and the request hooks (which read it). */
export interface DrainState {
  readonly phase: ServingPhase;
  /** Requests received and not yet answered (or abandoned by their client). */
  readonly inFlight: number;
  /** SIGTERM: out of the rotation, still accepting. */
  startDraining(): void;
  /** The listener is closed: new requests on open connections are refused. */
  stopAccepting(): void;
  requestStarted(): void;
  requestFinished(): void;
  /** Resolves once no request is in flight; at once when none is. */
  settled(): Promise<void>;
}

const PHASE_ORDER: Readonly<Record<ServingPhase, number>> = { serving: 0, draining: 1, stopped: 2 };

export function createDrainState(): DrainState {
  let phase: ServingPhase = 'serving';
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const advance = (to: ServingPhase) => {
    if (PHASE_ORDER[to] > PHASE_ORDER[phase]) phase = to;
  };
  return {
    get phase() {
      return phase;
    },
    get inFlight() {
      return inFlight;
    },
    startDraining: () => advance('draining'),
    stopAccepting: () => advance('stopped'),
    requestStarted: () => {
      inFlight += 1;
    },
    requestFinished: () => {
      inFlight = Math.max(0, inFlight - 1);
      if (inFlight > 0) return;
      const ready = waiters;
      waiters = [];
      for (const resolve of ready) resolve();
    },
    settled: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
