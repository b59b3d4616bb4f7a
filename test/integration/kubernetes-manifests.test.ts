/**
 * No cluster runs here, so deploy/kubernetes/ is checked the way the compose drift test checks
 * docker-compose.yml: both overlays are rendered (test/helpers/kustomize.ts), every object is
 * validated against the Kubernetes API's schemas, and the dev overlay runs what the launcher
 * and docker compose run, with the same ports, probes and environment.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { STACK, type StackProcess } from '../../bffs/dev/stack';
import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { DEFAULT_SERVER_SETTINGS } from '../../shared/server-settings';
import { SUPERGRAPH_FILE } from '../../supergraph/composition';
import { SUPERGRAPH_CONFIGMAP_FILE, SUPERGRAPH_CONFIGMAP_KEY, SUPERGRAPH_CONFIGMAP_NAME } from '../../supergraph/supergraph-configmap';
import { mobileManifest } from '../../bffs/mobile/manifest';
import { partnerManifest } from '../../bffs/partner/manifest';
import { webManifest } from '../../bffs/web/manifest';
import { schemaError, typeErrors } from '../helpers/kubernetes-schema';
import { readYamlDocuments, renderKustomization, type KubernetesObject } from '../helpers/kustomize';

const ROOT = path.resolve(__dirname, '../..');
const OVERLAYS = ['dev', 'production'] as const;
const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, renderKustomization(path.join(ROOT, 'deploy/kubernetes/overlays', o))])) as Record<(typeof OVERLAYS)[number], KubernetesObject[]>;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }>;
}
interface Deployment extends KubernetesObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
}
interface NetworkPolicy extends KubernetesObject {
  spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: Array<{ from?: NetworkPolicyPeer[]; ports?: Array<{ port: number | string }> }>; egress?: unknown[] };
}

const find = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
const deployments = (objects: KubernetesObject[]) => objects.filter((o): o is Deployment => o.kind === 'Deployment');
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
const BFFS = STACK.filter((p) => p.kind === 'bff');

/** docker-compose.yml with `${VAR:-default}` taken at its default, as `docker compose up` runs it. */
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8').replace(/\$\{\w+:-([^}]*)\}/g, '$1'), { merge: true }) as {
  services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string> }>;
};

/** A container's environment as the kubelet gives it: Secret keys read, `$(VAR)` expanded. */
function resolvedEnv(container: Container, objects: KubernetesObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of container.env ?? []) {
    const ref = v.valueFrom?.secretKeyRef;
    if (ref) {
      const secret = find<KubernetesObject & { stringData?: Record<string, string> }>(objects, 'Secret', ref.name);
      const value = secret?.stringData?.[ref.key];
      if (value === undefined) throw new Error(`${container.name}: ${v.name} reads Secret ${ref.name}/${ref.key}, which the overlay does not define`);
      env[v.name] = value;
    } else env[v.name] = (v.value ?? '').replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole);
  }
  return env;
}

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  const objects = rendered[overlay];

  it('renders every object valid against the Kubernetes API schemas', () => {
    expect(objects.map((o) => ({ object: `${o.kind}/${o.metadata.name}`, error: schemaError(o) })).filter((r) => r.error)).toEqual([]);
    expect(typeErrors(objects)).toEqual([]);
  });

  it('runs every container as a non-root user, read-only, without privileges, within requests and limits', () => {
    for (const deployment of deployments(objects)) {
      const pod = deployment.spec.template.spec;
      expect({ name: deployment.metadata.name, runAsNonRoot: pod.securityContext?.runAsNonRoot, token: pod.automountServiceAccountToken }).toEqual({ name: deployment.metadata.name, runAsNonRoot: true, token: false });
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect({ name: c.name, ...c.securityContext }).toEqual({ name: c.name, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        for (const resource of ['cpu', 'memory']) {
          expect({ name: c.name, resource, request: c.resources?.requests?.[resource] !== undefined, limit: c.resources?.limits?.[resource] !== undefined }).toEqual({ name: c.name, resource, request: true, limit: true });
        }
      }
    }
  });

  it.each(BFFS.map((p) => p.name))('gives %s longer to stop than its preStop sleep, drain delay and shutdown timeout together', (name) => {
    const pod = find<Deployment>(objects, 'Deployment', name)!.spec.template.spec;
    const container = pod.containers[0]!;
    const env = Object.fromEntries((container.env ?? []).map((v) => [v.name, v.value]));
    const sleepS = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(sleepS).toBeGreaterThan(0);
    const drainMs = Number(env.SHUTDOWN_DRAIN_DELAY_MS ?? DEFAULT_SERVER_SETTINGS.shutdownDrainDelayMs);
    const timeoutMs = Number(env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SERVER_SETTINGS.shutdownTimeoutMs);
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1_000).toBeGreaterThan(sleepS * 1_000 + drainMs + timeoutMs);
  });

  it.each(BFFS.map((p) => p.name))('scales %s with an autoscaler and limits its disruptions with a budget', (name) => {
    const deployment = find<Deployment>(objects, 'Deployment', name)!;
    // The autoscaler owns the count: a replicas field would reset it on every apply.
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = find<KubernetesObject & { spec: { scaleTargetRef: unknown; minReplicas: number; maxReplicas: number } }>(objects, 'HorizontalPodAutoscaler', name);
    expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
    expect(hpa!.spec.maxReplicas).toBeGreaterThan(hpa!.spec.minReplicas);
    const pdb = find<KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(objects, 'PodDisruptionBudget', name);
    expect(matches(pdb?.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
  });

  it('mounts the supergraph ConfigMap as a directory the GraphQL BFFs read their SUPERGRAPH_PATH from', () => {
    for (const name of ['web', 'mobile']) {
      const pod = find<Deployment>(objects, 'Deployment', name)!.spec.template.spec;
      const volume = pod.volumes?.find((v) => v.configMap?.name === SUPERGRAPH_CONFIGMAP_NAME);
      const mount = pod.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
      // A subPath mount never sees the ConfigMap change.
      expect(mount?.subPath).toBeUndefined();
      expect(pod.containers[0]?.env?.find((v) => v.name === 'SUPERGRAPH_PATH')?.value).toBe(`${mount?.mountPath}/${SUPERGRAPH_CONFIGMAP_KEY}`);
    }
  });

  it('lets clients reach only the BFFs, and only the BFFs reach Redis and the upstreams', () => {
    const policies = objects.filter((o): o is NetworkPolicy => o.kind === 'NetworkPolicy');
    const pods = deployments(objects).map((d) => ({ name: d.metadata.name, labels: d.spec.template.metadata.labels }));
    const bffs = new Set(BFFS.map((p) => p.name));
    for (const pod of pods) {
      const selecting = policies.filter((p) => p.spec.policyTypes.includes('Ingress') && matches(p.spec.podSelector.matchLabels, pod.labels));
      // Every pod is isolated: what no policy allows is refused.
      expect({ pod: pod.name, isolated: selecting.length > 0 }).toEqual({ pod: pod.name, isolated: true });
      const rules = selecting.flatMap((p) => p.spec.ingress ?? []);
      const fromAnywhere = rules.some((r) => !r.from || r.from.length === 0);
      expect({ pod: pod.name, fromAnywhere }).toEqual({ pod: pod.name, fromAnywhere: bffs.has(pod.name) });
      if (bffs.has(pod.name)) continue;
      // Peers in this namespace, and they must all be BFFs.
      for (const peer of rules.flatMap((r) => r.from ?? [])) {
        expect(peer.namespaceSelector).toBeUndefined();
        expect(pods.filter((p) => matches(peer.podSelector?.matchLabels, p.labels)).map((p) => p.name).sort()).toEqual([...bffs].sort());
      }
    }
  });
});

describe('the dev overlay runs what the launcher and docker compose run', () => {
  const objects = rendered.dev;

  it('has a Deployment and a Service for every stack process and Redis, and nothing else runs', () => {
    expect(deployments(objects).map((d) => d.metadata.name).sort()).toEqual([...STACK.map((p) => p.name), 'redis'].sort());
    expect(objects.filter((o) => o.kind === 'Service').map((s) => s.metadata.name).sort()).toEqual([...STACK.map((p) => p.name), 'redis'].sort());
  });

  it.each(STACK.map((p) => [p.name, p] as const))('%s: same image, entry, port, probes and environment', (name, proc: StackProcess) => {
    const container = find<Deployment>(objects, 'Deployment', name)!.spec.template.spec.containers[0]!;
    expect(container.image).toBe(compose.services[name]?.image);
    expect(container.command).toEqual(['node', ...proc.nodeArgs, proc.entry]);
    expect(container.command).toEqual(compose.services[name]?.command);
    expect(container.ports).toEqual([{ name: 'http', containerPort: proc.port }]);
    const service = find<KubernetesObject & { spec: { ports: unknown[] } }>(objects, 'Service', name);
    expect(service?.spec.ports).toEqual([{ name: 'http', port: proc.port, targetPort: 'http' }]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: proc.readyPath, port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    // Compose's environment, plus what only Kubernetes needs: the mounted supergraph, and the
    // Redis password REDIS_URL is built from.
    const { SUPERGRAPH_PATH, REDIS_PASSWORD, ...env } = resolvedEnv(container, objects);
    expect(env).toEqual(compose.services[name]?.environment);
    if (REDIS_PASSWORD !== undefined) expect(env.REDIS_URL).toContain(`:${REDIS_PASSWORD}@`);
    if (SUPERGRAPH_PATH !== undefined) expect(['web', 'mobile']).toContain(name);
  });

  it('runs the Redis image docker compose runs, behind the password the BFFs use', () => {
    const redis = find<Deployment>(objects, 'Deployment', 'redis')!.spec.template.spec.containers[0]!;
    expect(redis.image).toBe((compose.services.redis as { image?: string }).image);
    expect((redis as { args?: string[] }).args?.join(' ')).toContain('--requirepass $(REDIS_PASSWORD)');
  });

  it('serves the composed supergraph from its ConfigMap', () => {
    const [configMap] = readYamlDocuments(SUPERGRAPH_CONFIGMAP_FILE) as Array<{ data: Record<string, string> }>;
    expect(configMap?.data[SUPERGRAPH_CONFIGMAP_KEY]).toBe(readFileSync(SUPERGRAPH_FILE, 'utf8'));
    expect(find(objects, 'ConfigMap', SUPERGRAPH_CONFIGMAP_NAME)).toBeDefined();
  });
});

describe('the production overlay', () => {
  const objects = rendered.production;

  it('commits no Secret, and no supergraph: both are yours', () => {
    expect(objects.filter((o) => o.kind === 'Secret' || o.kind === 'ConfigMap')).toEqual([]);
  });

  it('passes Portico\'s production checks once its Secrets exist', () => {
    const secrets: Record<string, Record<string, string>> = { 'portico-redis': { password: 'a0b1c2d3e4f5' }, 'portico-bff': { 'introspection-client-secret': 'a-production-secret' } };
    const withSecrets: KubernetesObject[] = [...objects, ...Object.entries(secrets).map(([name, stringData]) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData }))];
    const envOf = (name: string) => ({ ...resolvedEnv(find<Deployment>(objects, 'Deployment', name)!.spec.template.spec.containers[0]!, withSecrets) });
    expect(envOf('web').NODE_ENV).toBe('production');
    expect(() => graphqlManifestFromEnv(webManifest, envOf('web'))).not.toThrow();
    expect(() => graphqlManifestFromEnv(mobileManifest, envOf('mobile'))).not.toThrow();
    expect(() => restManifestFromEnv(partnerManifest, envOf('partner'))).not.toThrow();
  });
});

describe('the schema checks catch a mistake', () => {
  const web = () => structuredClone(find<Deployment>(rendered.dev, 'Deployment', 'web')!);

  it('an unknown field', () => {
    const typo = web();
    (typo.spec.template.spec.containers[0]!.readinessProbe as Record<string, unknown>).periodSecond = 5;
    expect(typeErrors([typo]).join('\n')).toMatch(/^Deployment\/web: .*periodSecond.* does not exist in type 'IProbe'/);
  });

  it('a wrong type', () => {
    const wrong = web();
    (wrong.spec.template.spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = '4000';
    expect(schemaError(wrong)).toMatch(/containerPort must be integer/);
  });
});
