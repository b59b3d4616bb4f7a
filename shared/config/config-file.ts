/**
 * The optional configuration file of a BFF: `PORTICO_CONFIG=portico.web.yaml` (YAML or
 * JSON) holds the same settings as the manifest (`server`, `routes`, `policies`), checked
 * against the same schema. It is laid over the BFF's manifest; the environment then
 * overrides it (a policy whose variables are all unset keeps the file's settings).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ManifestSchema, type BffManifest } from '../manifest';
import { checkSettings } from './check-settings';
import { ConfigError, optionalText, readEnv } from './env';

export const configFileEnvSpec = {
  PORTICO_CONFIG: optionalText('YAML or JSON file with manifest settings (`server`, `routes`, `policies`), checked like the manifest; variables override it'),
};

/** What a file may set; the BFF's identity, route kind and route tables stay in code. */
const FILE_KEYS = new Set(['server', 'routes', 'policies']);
const CODE_ONLY_ROUTE_KEYS = ['kind', 'versions'];

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Pure: `over` laid on `base`: objects merged key by key, anything else (lists included) replaced. */
export function overlay<T>(base: T, over: unknown): T {
  if (!isPlain(base) || !isPlain(over)) return over as T;
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = key in base ? overlay(base[key], value) : value;
  return out as T;
}

/** Pure: the problems of a parsed file before it is laid over the manifest. */
function fileShapeProblems(file: unknown): string[] {
  if (!isPlain(file)) return ['must hold a mapping of server, routes and policies'];
  const problems = Object.keys(file)
    .filter((key) => !FILE_KEYS.has(key))
    .map((key) => (key === 'name' ? "name: is the BFF's own, set in code" : `unknown key '${key}' (a file may set server, routes, policies)`));
  if (isPlain(file.routes)) for (const key of CODE_ONLY_ROUTE_KEYS) if (key in file.routes) problems.push(`routes.${key}: is set in code`);
  return problems;
}

/**
 * The manifest with `PORTICO_CONFIG`'s file laid over it, unchanged without one; throws
 * ConfigError naming the file and every problem by its path. Returns the file's policies
 * too: the environment only overrides the slices whose variables it sets.
 */
export function applyConfigFile<M extends BffManifest>(manifest: M, env: NodeJS.ProcessEnv): { manifest: M; filePolicies: BffManifest['policies'] } {
  const file = readEnv(env, configFileEnvSpec).PORTICO_CONFIG;
  if (!file) return { manifest, filePolicies: undefined };
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`PORTICO_CONFIG=${file}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const shape = fileShapeProblems(parsed);
  if (shape.length > 0) throw new ConfigError(shape.map((p) => `PORTICO_CONFIG=${file}: ${p}`));
  const merged = overlay(manifest, parsed);
  const problems = checkSettings(ManifestSchema, merged);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `PORTICO_CONFIG=${file}: ${p}`));
  return { manifest: merged, filePolicies: (parsed as Plain).policies as BffManifest['policies'] };
}
