/**
 * The partner BFF process, started from its entry point as it runs in production (one
 * process, API keys from a file, five upstream services), answers its operation-backed
 * aggregate without ever loading Apollo Server or Apollo Gateway: it plans its registered
 * operations with Apollo's query planner alone and runs them on Portico's executor.
 * Apollo Gateway and what it loads at start were about a third of the process's memory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiKeyInFile } from '../../shared/dev/api-key-file';
import { SUBGRAPH_GRAPHQL_PATH } from '../../supergraph/subgraphs/catalog';
import { http } from '../helpers/http';
import { REPO_ROOT, runEntry, waitForHttp200, type ChildHandle } from '../helpers/processes';
import { freePort } from '../helpers/redis';
import { startSubgraphs } from '../helpers/subgraphs';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

const REPORTER = path.join(REPO_ROOT, 'test/helpers/loaded-packages-reporter.ts');

/** Starts `bffs/partner/main.ts` with the loaded-packages reporter preloaded, and an IPC channel to ask it. */
function startPartnerProcess(env: Record<string, string>): ChildHandle {
  return runEntry('bffs/partner/main.ts', env, { preload: [REPORTER], ipc: true });
}

/** Asks the process which packages it has loaded. */
async function loadedPackages(child: ChildHandle): Promise<string[]> {
  const answer = new Promise<string[]>((resolve) => {
    child.proc.on('message', (message: { loadedPackages?: string[] }) => {
      if (message.loadedPackages) resolve(message.loadedPackages);
    });
  });
  child.proc.send('loaded-packages');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the reporter:\n${child.output()}`)), 10_000);
  });
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the partner BFF process', () => {
  let subgraphs: Subgraphs;
  let dir: string;
  let child: ChildHandle | undefined;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    dir = await mkdtemp(path.join(tmpdir(), 'portico-partner-modules-'));
  });

  afterAll(async () => {
    child?.kill();
    await child?.exited;
    await subgraphs?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers an operation-backed aggregate without loading Apollo Server or Apollo Gateway', async () => {
    const apiKeysFile = path.join(dir, 'api-keys.json');
    const { key } = createApiKeyInFile(apiKeysFile, { clientId: 'modules-test', plan: 'pro', scopes: ['customers:read', 'orders:read'] });
    const port = await freePort();
    const upstreams: Record<string, string> = {};
    for (const [name, origin] of Object.entries(subgraphs.origins)) {
      upstreams[`UPSTREAM_URL_${name.toUpperCase()}`] = origin;
      upstreams[`SUBGRAPH_URL_${name.toUpperCase()}`] = `${origin}${SUBGRAPH_GRAPHQL_PATH}`;
    }
    child = startPartnerProcess({
      // As the benchmark runs it.
      LOG_LEVEL: 'error',
      NODE_ENV: 'production',
      PRODUCTION_CHECKS: 'off',
      WORKERS: '1',
      HOST: '127.0.0.1',
      PORT: String(port),
      AUTH: 'required',
      API_KEYS_FILE: apiKeysFile,
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      ...upstreams,
    });
    const origin = `http://127.0.0.1:${port}`;
    await waitForHttp200(`${origin}/readyz`, child, 30_000);

    const profile = await http(`${origin}/v2/customers/4`, { headers: { 'x-api-key': key } });
    expect(profile.status).toBe(200);
    expect(profile.json).toMatchObject({ id: '4', reviews: expect.any(Array), recentOrders: expect.any(Array) });

    const packages = await loadedPackages(child);
    expect(packages).toContain('@apollo/query-planner');
    expect(packages).not.toContain('@apollo/gateway');
    expect(packages).not.toContain('@apollo/server');

    child.proc.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
