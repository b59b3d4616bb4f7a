/**
 * The composed supergraph as the Kubernetes ConfigMap the GraphQL BFFs mount
 * (deploy/kubernetes/demo/supergraph.yaml). `npm run supergraph:compose` writes it beside
 * the supergraph file and `--check` finds it stale, so the manifests serve what was composed.
 */
import path from 'node:path';
import { stringify } from 'yaml';

/** The demo supergraph's ConfigMap (production: your schema pipeline publishes its own, docs/operations.md). */
export const SUPERGRAPH_CONFIGMAP_FILE = path.resolve(__dirname, '../deploy/kubernetes/demo/supergraph.yaml');

/** The ConfigMap's name, as the BFF Deployments mount it. */
export const SUPERGRAPH_CONFIGMAP_NAME = 'portico-supergraph';

/** The key holding the SDL: the file name under the mount (`SUPERGRAPH_PATH`). */
export const SUPERGRAPH_CONFIGMAP_KEY = 'supergraph.graphql';

/** Pure: the ConfigMap's YAML for a supergraph SDL. */
export function printSupergraphConfigMap(supergraphSdl: string): string {
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: SUPERGRAPH_CONFIGMAP_NAME, labels: { 'app.kubernetes.io/part-of': 'portico' } },
    data: { [SUPERGRAPH_CONFIGMAP_KEY]: supergraphSdl },
  };
  const header = '# Written by `npm run supergraph:compose` from supergraph/supergraph.graphql; do not edit.\n# A changed ConfigMap reaches the mounted file within a minute or so and the BFFs swap it in.\n';
  return header + stringify(configMap, { blockQuote: 'literal', lineWidth: 0 });
}
