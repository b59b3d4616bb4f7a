/**
 * DNS discovery of a multi-target upstream with real servers on two loopback addresses:
 * a changed answer adds an endpoint without a restart, a failing lookup keeps the last
 * good endpoints, and close() stops every timer and pool. The resolver is injected so the
 * test can change its answers (the system resolver is exercised on `localhost` in the
 * partner multi-target tests).
 */
import { createUpstreamTargets, type UpstreamTargets } from '../../shared/upstream/upstream-targets';
import type { DiscoveryLog } from '../../shared/upstream/target-discovery';
import { eventually, startNamedUpstream, type NamedUpstream } from '../helpers/target-upstreams';

function recordingLog(): DiscoveryLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (_o, msg) => lines.push(`info ${msg}`), warn: (_o, msg) => lines.push(`warn ${msg}`), error: (_o, msg) => lines.push(`error ${msg}`) };
}

async function callServed(targets: UpstreamTargets): Promise<string> {
  const res = await targets.call({}, async (pool) => {
    const r = await pool.request({ path: '/orders', method: 'GET' });
    return { statusCode: r.statusCode, body: (await r.body.json()) as { served: string } };
  });
  return res.body.served;
}

describe('DNS discovery', () => {
  let first: NamedUpstream;
  let second: NamedUpstream;
  let targets: UpstreamTargets | undefined;

  beforeAll(async () => {
    first = await startNamedUpstream('first', { host: '127.0.0.1' });
    second = await startNamedUpstream('second', { host: '127.0.0.2', port: first.port });
  });

  afterAll(async () => {
    await targets?.close();
    await first?.close();
    await second?.close();
  });

  it('adds an address that appears in DNS without a restart and keeps the endpoints while lookups fail', async () => {
    let answers: string[] | Error = ['127.0.0.1'];
    const log = recordingLog();
    targets = createUpstreamTargets({
      upstream: 'orders',
      settings: { targets: [{ name: 'stable', dns: { hostname: 'orders.internal', port: first.port, refreshMs: 25 } }] },
      log,
      resolveDns: async (hostname) => {
        expect(hostname).toBe('orders.internal');
        if (answers instanceof Error) throw answers;
        return answers;
      },
    });
    await targets.start();
    for (let i = 0; i < 4; i++) expect(await callServed(targets)).toBe('first');

    answers = ['127.0.0.2', '127.0.0.1'];
    await eventually(async () => (await callServed(targets as UpstreamTargets)) === 'second');
    expect(targets.readiness()).toEqual({ ok: true, detail: '2 of 2 endpoints available' });

    answers = new Error('SERVFAIL');
    await eventually(() => log.lines.includes('error endpoint discovery failed; keeping the last good endpoints'));
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await callServed(targets));
    expect(seen).toEqual(new Set(['first', 'second']));

    answers = ['127.0.0.2'];
    await eventually(() => log.lines.includes('info endpoint discovery recovered'));
    await eventually(async () => {
      const results = await Promise.all([callServed(targets as UpstreamTargets), callServed(targets as UpstreamTargets), callServed(targets as UpstreamTargets)]);
      return results.every((r) => r === 'second');
    });
    await targets.close();
    expect(() => (targets as UpstreamTargets).acquire({})).toThrow(/paused/);
  });
});
