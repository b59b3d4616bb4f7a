/**
 * Runs a real Redis Cluster on 127.0.0.1 for integration tests: three masters (no replicas),
 * each redis-server with cluster mode on and its own folder for `nodes.conf`, joined by
 * `redis-cli --cluster create`. A master that is killed and restarted comes back on the same
 * port with the same `nodes.conf` and its append-only file, so it rejoins owning the same
 * slots with its data, as a persistent production master would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NO_REDIS_CLI_MESSAGE, locateRedisCli } from './redis-binary';
import { freePort, startRedis, type RedisServer } from './redis';

const run = promisify(execFile);

/** Longest wait for the cluster to report `cluster_state:ok` on every node, in ms. */
const CLUSTER_READY_TIMEOUT_MS = 20_000;

export interface RedisClusterOptions {
  /**
   * How long a master may be unreachable before the others mark it failed, in ms (Redis'
   * `cluster-node-timeout`). Short, so a test sees the failure within seconds. Default 1,000.
   */
  nodeTimeoutMs?: number;
}

export interface RedisCluster {
  /** The three masters, in the order their ports were given to `--cluster create`. */
  masters: RedisServer[];
  /** `127.0.0.1:<port>` of every master: the seed nodes a client is given. */
  seeds: string[];
  /** The master serving the slot of `key` (hash tags honoured), by asking the cluster. */
  masterFor(key: string): Promise<RedisServer>;
  /** Resolves once every running master reports `cluster_state:ok` and knows every master as connected. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Runs `redis-cli` against a node, returning its stdout. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Stops every master and removes their folders. */
  stop(): Promise<void>;
}

/** Parses `CLUSTER NODES`: each line `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>`. */
function parseNodes(text: string): Array<{ port: number; flags: string[]; link: string; ranges: Array<[number, number]> }> {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
      const ranges = fields.slice(8).filter((r) => /^\d/.test(r)).map((r) => {
        const [from, to] = r.split('-').map(Number);
        return [from as number, to ?? (from as number)] as [number, number];
      });
      return { port, flags: (fields[2] ?? '').split(','), link: fields[7] ?? '', ranges };
    });
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const cliBinary = locateRedisCli();
  if (!cliBinary) throw new Error(NO_REDIS_CLI_MESSAGE);
  const cliPath: string = cliBinary;
  const root = mkdtempSync(path.join(os.tmpdir(), 'portico-redis-cluster-'));
  const masters: RedisServer[] = [];

  const cli = async (port: number, ...args: string[]): Promise<string> => (await run(cliPath, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;

  async function stop(): Promise<void> {
    await Promise.all(masters.map((m) => m.stop()));
    rmSync(root, { recursive: true, force: true });
  }

  try {
    for (let i = 0; i < 3; i++) {
      const dir = path.join(root, `node-${i}`);
      mkdirSync(dir);
      // The bus port is named rather than left at port + 10,000, which may be above 65,535 for an ephemeral port.
      const busPort = await freePort();
      masters.push(
        await startRedis({
          dir,
          args: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-port', String(busPort),
            '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1_000),
            // Without replicas, a dead master's slots stay unserved; the other masters keep serving theirs.
            '--cluster-require-full-coverage', 'no',
            // Overrides the helper's `--appendonly no`: the node's data survives a kill, in its own folder.
            '--appendonly', 'yes',
          ],
        }),
      );
    }
    await run(cliPath, ['--cluster', 'create', ...masters.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
  } catch (err) {
    await stop();
    throw err;
  }

  async function healthy(): Promise<boolean> {
    for (const master of masters) {
      try {
        const info = await cli(master.port, 'cluster', 'info');
        if (!/cluster_state:ok/.test(info)) return false;
        const nodes = parseNodes(await cli(master.port, 'cluster', 'nodes'));
        const connected = nodes.filter((n) => n.flags.includes('master') && !n.flags.some((f) => f.startsWith('fail')) && n.link === 'connected');
        if (connected.length !== masters.length) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  async function waitUntilHealthy(timeoutMs = CLUSTER_READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy())) {
      if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy within ${timeoutMs} ms:\n${await cli(masters[0]?.port ?? 0, 'cluster', 'nodes').catch(String)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  try {
    await waitUntilHealthy();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    masters,
    seeds: masters.map((m) => `127.0.0.1:${m.port}`),
    async masterFor(key) {
      const slot = Number((await cli(masters[0]?.port ?? 0, 'cluster', 'keyslot', key)).trim());
      const owner = parseNodes(await cli(masters[0]?.port ?? 0, 'cluster', 'nodes')).find((n) => n.ranges.some(([from, to]) => slot >= from && slot <= to));
      const master = masters.find((m) => m.port === owner?.port);
      if (!master) throw new Error(`no master owns slot ${slot} of '${key}'`);
      return master;
    },
    waitUntilHealthy,
    cli,
    stop,
  };
}
