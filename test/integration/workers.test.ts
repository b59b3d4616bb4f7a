/**
 * WORKERS=n: several processes behind one port, supervised by the primary; a crashed
 * worker is replaced, and SIGTERM stops everything with exit code 0.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'undici';
import { startRecordingUpstream, unusedPort, type RecordingUpstream } from '../helpers/recording-upstream';
import { runEntry, waitForHttp200, waitUntil, type ChildHandle } from '../helpers/processes';

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}


describe('multi-process mode', () => {
  let upstream: RecordingUpstream;
  let child: ChildHandle | undefined;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
  });

  afterAll(async () => {
    child?.kill();
    await upstream?.close();
  });

  it('serves one port from two workers, replaces a crashed one, and stops cleanly', async () => {
    // Worker start-up (TypeScript loading) is slow on a busy machine: generous, bounded waits.
    const port = await unusedPort();
    const env = Object.fromEntries(['ACCOUNTS', 'PRODUCTS', 'INVENTORY', 'REVIEWS', 'ORDERS'].map((n) => [`UPSTREAM_URL_${n}`, upstream.origin]));
    child = runEntry('bffs/partner/main.ts', { PORT: String(port), HOST: '127.0.0.1', WORKERS: '2', ...env });
    const pid = child.proc.pid as number;
    await waitForHttp200(`http://127.0.0.1:${port}/healthz`, child);
    await waitUntil(() => childPids(pid).length === 2, 40_000, 100);

    for (let i = 0; i < 6; i++) {
      const res = await request(`http://127.0.0.1:${port}/v1/products/1`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }

    const [first] = childPids(pid);
    process.kill(first as number, 'SIGKILL');
    await waitUntil(() => childPids(pid).length === 2 && !childPids(pid).includes(first as number), 40_000, 100);
    await waitForHttp200(`http://127.0.0.1:${port}/healthz`, child);

    child.proc.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(childPids(pid)).toEqual([]);
  }, 120_000);
});
