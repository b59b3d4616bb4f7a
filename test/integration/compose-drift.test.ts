/**
 * Docker does not run on every developer machine, so docker-compose.yml is checked here
 * against the launcher's stack definition: same services, ports, entry points and env.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { partnerManifest } from '../../bffs/partner/manifest';
import { DEFAULT_SERVER_SETTINGS } from '../../shared/server-settings';
import { DEV_KEYS_PATH, STACK } from '../../bffs/dev/stack';
import { nodeArguments } from '../../shared/node-runtime';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS, SUBGRAPH_GRAPHQL_PATH } from '../../supergraph/subgraphs/catalog';

interface ComposeService {
  build?: { context: string; target: string };
  image?: string;
  read_only?: boolean;
  tmpfs?: string[];
  volumes?: string[];
  command?: string[];
  networks?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  stop_grace_period?: string;
}

const compose = parse(readFileSync(path.resolve(__dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
};

/** The Dockerfile's build targets (`FROM ... AS <target>`). */
const dockerfileTargets = [...readFileSync(path.resolve(__dirname, '../../Dockerfile'), 'utf8').matchAll(/^FROM\s+\S+\s+AS\s+(\S+)$/gim)].map((m) => m[1]);

describe('the npm start:<process> scripts run as the launcher does', () => {
  const scripts = (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  it.each([
    ['start:web', 'web'],
    ['start:mobile', 'mobile'],
    ['start:partner', 'partner'],
    ['start:subgraph', 'accounts'],
  ])('%s', (script, name) => {
    const proc = STACK.find((p) => p.name === name);
    expect(scripts[script]).toBe(['node', ...(proc?.nodeArgs ?? []), proc?.entry].join(' '));
  });
});

describe('docker-compose.yml matches the launcher stack', () => {
  it('has exactly the stack services plus Redis and the dev keys writer', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...STACK.map((p) => p.name), 'redis', 'dev-keys'].sort());
  });

  it.each(STACK.map((p) => [p.name, p] as const))('%s runs from its image of the Dockerfile, read-only, with no source mounted', (name, proc) => {
    const service = compose.services[name];
    expect(service?.build).toEqual({ context: '.', target: proc.kind });
    // Tagged as the Kubernetes dev overlay runs them (deploy/kubernetes/overlays/dev).
    expect(service?.image).toBe(`portico-${proc.kind}:dev`);
    expect(dockerfileTargets).toContain(proc.kind);
    expect(service?.read_only).toBe(true);
    expect(service?.tmpfs).toEqual(['/tmp']);
    // Only the dev keys volume, and read-only: the code comes from the image.
    for (const volume of service?.volumes ?? []) expect(volume).toBe(`dev-keys:/app/${DEV_KEYS_PATH}:ro`);
  });

  it('writes the dev keys once, where the accounts service and the partner BFF read them', () => {
    const writer = compose.services['dev-keys'];
    expect(writer?.build).toEqual({ context: '.', target: 'bff' });
    expect(writer?.command).toEqual(['node', ...nodeArguments(), 'bffs/dev/dev-keys-cli.ts']);
    expect(writer?.volumes).toEqual([`dev-keys:/app/${DEV_KEYS_PATH}`]);
    for (const proc of STACK.filter((p) => Object.values(p.env).some((value) => value.startsWith(`${DEV_KEYS_PATH}/`)))) {
      expect(compose.services[proc.name]?.volumes).toEqual([`dev-keys:/app/${DEV_KEYS_PATH}:ro`]);
      expect(compose.services[proc.name]?.depends_on?.['dev-keys']).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it.each(STACK.map((p) => [p.name, p] as const))('%s runs the same entry on the same port with the same env', (name, proc) => {
    const service = compose.services[name];
    expect(service).toBeDefined();
    expect(service?.command).toEqual(['node', ...proc.nodeArgs, proc.entry]);
    // Only the BFFs are published; everything behind them is reachable through them alone.
    if (proc.kind === 'bff') expect(service?.ports).toEqual([`${proc.port}:${proc.port}`]);
    else expect(service?.ports).toBeUndefined();
    // Addresses differ by design (service names instead of 127.0.0.1); everything else is equal.
    const { JWT_JWKS_URL, INTROSPECTION_URL, ...rest } = proc.env;
    // Subgraph and upstream URLs are checked by service name below.
    const sameEnv = Object.fromEntries(Object.entries(rest).filter(([key]) => !key.startsWith('SUBGRAPH_URL_') && !key.startsWith('UPSTREAM_URL_')));
    expect(service?.environment).toMatchObject(sameEnv);
    if (JWT_JWKS_URL) expect(service?.environment?.JWT_JWKS_URL).toBe(JWT_JWKS_URL.replace('127.0.0.1', 'accounts'));
    if (INTROSPECTION_URL) expect(service?.environment?.INTROSPECTION_URL).toBe(INTROSPECTION_URL.replace('127.0.0.1', 'authorization-server'));
    expect(service?.environment?.HOST).toBe('0.0.0.0');
    expect(service?.healthcheck).toBeDefined();
    expect(JSON.stringify(service?.healthcheck)).toContain(`127.0.0.1:${proc.port}${proc.readyPath}`);
  });

  it.each(['web', 'mobile', 'partner'])('%s reaches every subgraph by service name', (name) => {
    const env = compose.services[name]?.environment ?? {};
    for (const subgraph of SUBGRAPH_NAMES) {
      expect(env[`SUBGRAPH_URL_${subgraph.toUpperCase()}`]).toBe(`http://${subgraph}:${SUBGRAPH_PORTS[subgraph]}${SUBGRAPH_GRAPHQL_PATH}`);
      expect(compose.services[name]?.depends_on?.[subgraph]).toEqual({ condition: 'service_healthy' });
    }
  });

  it.each(STACK.filter((p) => p.env.INTROSPECTION_URL).map((p) => p.name))('%s waits for the authorization server it introspects tokens with', (name) => {
    expect(compose.services[name]?.depends_on?.['authorization-server']).toEqual({ condition: 'service_healthy' });
  });

  it('keeps upstreams, the authorization server and Redis on an internal network, Redis behind a password', () => {
    expect(compose.networks.internal?.internal).toBe(true);
    for (const proc of STACK) {
      expect({ name: proc.name, networks: compose.services[proc.name]?.networks }).toEqual({ name: proc.name, networks: proc.kind === 'bff' ? ['edge', 'internal'] : ['internal'] });
    }
    expect(compose.services.redis?.networks).toEqual(['internal']);
    expect(compose.services.redis?.ports).toBeUndefined();
    expect(compose.services.redis?.command?.join(' ')).toContain('--requirepass');
    for (const bff of STACK.filter((p) => p.kind === 'bff')) {
      expect(compose.services[bff.name]?.environment?.REDIS_URL).toMatch(/^redis:\/\/:[^@]+@redis:6379$/);
    }
  });

  it.each(STACK.filter((p) => p.kind === 'bff').map((p) => p.name))('%s gets longer to stop than its drain delay and shutdown timeout together', (name) => {
    const env = compose.services[name]?.environment ?? {};
    const drainMs = Number(env.SHUTDOWN_DRAIN_DELAY_MS ?? DEFAULT_SERVER_SETTINGS.shutdownDrainDelayMs);
    const timeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SERVER_SETTINGS.shutdownTimeoutMs);
    const grace = /^(\d+)s$/.exec(compose.services[name]?.stop_grace_period ?? '');
    expect(Number(grace?.[1] ?? 0) * 1_000).toBeGreaterThan(drainMs + timeoutMs);
  });

  it('partner reaches every REST upstream of its manifest by service name, as the launcher places them on loopback', () => {
    const env = compose.services.partner?.environment ?? {};
    const launched = STACK.find((p) => p.name === 'partner')?.env ?? {};
    for (const upstream of Object.keys(partnerManifest.routes.upstreams)) {
      const port = SUBGRAPH_PORTS[upstream as keyof typeof SUBGRAPH_PORTS];
      expect(env[`UPSTREAM_URL_${upstream.toUpperCase()}`]).toBe(`http://${upstream}:${port}`);
      expect(launched[`UPSTREAM_URL_${upstream.toUpperCase()}`]).toBe(`http://127.0.0.1:${port}`);
    }
  });
});
