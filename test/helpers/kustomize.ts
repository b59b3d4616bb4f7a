/**
 * Renders Portico's kustomizations (deploy/kubernetes/) without kubectl: the subset of
 * kustomize they use and nothing else, so a kustomization reaching for another feature fails
 * here instead of rendering differently.
 *
 * - `resources`: YAML files (several documents each) and directories with a kustomization;
 * - `patches` with `path`: strategic merge patches, each document targeting the object of
 *   its kind and name; lists merge by the Kubernetes merge key (containers and env by `name`,
 *   volume mounts by `mountPath`, container ports by `containerPort`), other lists are replaced;
 * - `images`: `newName` / `newTag` for containers whose image has that name;
 * - `namespace`: set on every object.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  patches?: Array<{ path: string }>;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
}

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'patches', 'images']);

/** Strategic merge keys of the lists Portico's patches touch (Kubernetes' `patchMergeKey`). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

/** Every document of a YAML file, comments and empty documents dropped. */
export function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pure: `patch` merged into `base` by Kubernetes' strategic merge rules (the subset above). */
export function strategicMerge(base: unknown, patch: unknown, field?: string): unknown {
  if (isObject(base) && isObject(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = key in base ? strategicMerge(base[key], value, key) : value;
    }
    return merged;
  }
  const mergeKey = field ? MERGE_KEYS[field] : undefined;
  if (Array.isArray(base) && Array.isArray(patch) && mergeKey) {
    // As kustomize orders them: the patch's items first (merged into their base item), then
    // the base items the patch does not name.
    const keyOf = (item: unknown) => (isObject(item) ? item[mergeKey] : undefined);
    const patched = patch.map((item) => {
      const existing = base.find((b) => keyOf(b) !== undefined && keyOf(b) === keyOf(item));
      return existing === undefined ? item : strategicMerge(existing, item);
    });
    return [...patched, ...base.filter((b) => !patch.some((item) => keyOf(item) !== undefined && keyOf(item) === keyOf(b)))];
  }
  return patch;
}

const id = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;

function podSpecs(object: KubernetesObject): Array<Record<string, unknown>> {
  const template = (object.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template;
  return template?.spec ? [template.spec] : [];
}

function setImages(objects: KubernetesObject[], images: NonNullable<Kustomization['images']>): void {
  for (const spec of objects.flatMap(podSpecs)) {
    for (const container of [...((spec.containers as Array<{ image: string }>) ?? []), ...((spec.initContainers as Array<{ image: string }>) ?? [])]) {
      const name = container.image.replace(/[:@].*$/, '');
      const image = images.find((i) => i.name === name);
      if (!image) continue;
      const tag = container.image.slice(name.length);
      container.image = `${image.newName ?? name}${image.newTag !== undefined ? `:${image.newTag}` : tag}`;
    }
  }
}

/** Renders the kustomization in `dir` into its objects, in resource order. */
export function renderKustomization(dir: string): KubernetesObject[] {
  const [kustomization] = readYamlDocuments(path.join(dir, 'kustomization.yaml')) as [Kustomization];
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED_KEYS.has(key));
  if (unsupported.length > 0) throw new Error(`${dir}: kustomization field(s) this renderer does not implement: ${unsupported.join(', ')}`);

  let objects: KubernetesObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const target = path.resolve(dir, resource);
    objects.push(...(statSync(target).isDirectory() ? renderKustomization(target) : (readYamlDocuments(target) as KubernetesObject[])));
  }
  const seen = new Set<string>();
  for (const object of objects) {
    if (seen.has(id(object))) throw new Error(`${dir}: ${id(object)} is declared twice`);
    seen.add(id(object));
  }

  for (const { path: patchFile } of kustomization.patches ?? []) {
    for (const patch of readYamlDocuments(path.resolve(dir, patchFile)) as KubernetesObject[]) {
      const at = objects.findIndex((o) => o.apiVersion === patch.apiVersion && id(o) === id(patch));
      if (at < 0) throw new Error(`${dir}/${patchFile}: no ${patch.apiVersion} ${id(patch)} to patch`);
      objects[at] = strategicMerge(objects[at], patch) as KubernetesObject;
    }
  }

  // Copies from here on: a transformer never changes what an including kustomization sees twice.
  objects = structuredClone(objects);
  if (kustomization.images) setImages(objects, kustomization.images);
  if (kustomization.namespace) for (const object of objects) object.metadata.namespace = kustomization.namespace;
  return objects;
}
