/**
 * The demo launcher says why a process stopped before it became ready: its exit code and
 * its last lines of output, instead of a bare "exited" that leaves nothing to go on.
 */
import { STACK } from '../../bffs/dev/stack';
import { startStack } from '../../bffs/dev/stack-runner';

it('reports the exit code and the last output of a process that stops before it is ready', async () => {
  const partner = STACK.find((p) => p.name === 'partner');
  if (!partner) throw new Error('the launcher has no partner BFF');
  // A setting the BFF refuses at start: it logs why and exits.
  const broken = { ...partner, port: 1, env: { ...partner.env, PORT: 'not-a-port' } };
  await expect(startStack({ processes: [broken], host: '127.0.0.1', readyTimeoutMs: 30_000 })).rejects.toThrow(/^partner exited before becoming ready \(exit code 1\); its last output:\n(.|\n)*PORT/);
}, 40_000);
