import { createDrainState } from '../../shared/drain';

describe('drain state', () => {
  it('moves forward only: serving, draining, stopped', () => {
    const drain = createDrainState();
    expect(drain.phase).toBe('serving');
    drain.startDraining();
    expect(drain.phase).toBe('draining');
    drain.stopAccepting();
    drain.startDraining();
    expect(drain.phase).toBe('stopped');
  });

  it('settles at once with nothing in flight, else when the last request finishes', async () => {
    const drain = createDrainState();
    await drain.settled();
    drain.requestStarted();
    drain.requestStarted();
    let settled = false;
    const waiting = drain.settled().then(() => (settled = true));
    drain.requestFinished();
    await Promise.resolve();
    expect({ settled, inFlight: drain.inFlight }).toEqual({ settled: false, inFlight: 1 });
    drain.requestFinished();
    await waiting;
    expect({ settled, inFlight: drain.inFlight }).toEqual({ settled: true, inFlight: 0 });
  });
});
