/**
 * Importing a client version's persisted-operation manifest into the mobile BFF: the
 * manifest is read as its toolchain wrote it, every operation is checked against the
 * committed supergraph, the mobile contract and the operation limits, and the file is stored
 * unchanged as `<dir>/<client>/<version>.json`, where the BFF loads it and `schema:check`
 * protects it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OperationLimits } from '../../shared/graphql/operation-limits';
import {
  CLIENT_NAME_PATTERN,
  CLIENT_VERSION_PATTERN,
  TrustedManifestError,
  clientManifestPath,
  loadClientManifests,
  loadTrustedDocuments,
  readTrustedManifest,
  type ManifestLimits,
} from '../../shared/graphql/trusted-document-manifests';
import { createTrustedDocumentStore } from '../../shared/graphql/trusted-documents';
import { checkClientManifest } from '../../supergraph/schema-check/client-manifest-check';

export interface ImportRequest {
  /** The toolchain's manifest file. */
  file: string;
  client: string;
  version: string;
  /** Folder of imported manifests. */
  dir: string;
  /** Portico's own manifest, whose ids an import must not contradict. */
  sharedManifest?: string;
  supergraphSdl: string;
  contract: string;
  limits: OperationLimits;
  manifestLimits: ManifestLimits;
  /** Overwrite a different manifest already imported for this version. */
  replace?: boolean;
}

export type ImportOutcome = { ok: true; stored: string; operations: number; format: string; unchanged: boolean } | { ok: false; problems: string[] };

export function importClientManifest(req: ImportRequest): ImportOutcome {
  if (!CLIENT_NAME_PATTERN.test(req.client)) return { ok: false, problems: [`--client '${req.client}' is not a client name: lowercase letters, digits, . _ - (at most 64, starting with a letter or digit)`] };
  if (!CLIENT_VERSION_PATTERN.test(req.version)) return { ok: false, problems: [`--version '${req.version}' is not a version: letters, digits, . + _ - (at most 64)`] };
  let parsed;
  try {
    parsed = readTrustedManifest(req.file, req.manifestLimits);
  } catch (err) {
    if (err instanceof TrustedManifestError) return { ok: false, problems: [err.message] };
    throw err;
  }
  const problems = checkClientManifest({ operations: parsed.operations, supergraphSdl: req.supergraphSdl, contract: req.contract, limits: req.limits }).map((p) => `${req.file}: ${p}`);
  if (problems.length > 0) return { ok: false, problems };

  const stored = clientManifestPath(req.dir, req.client, req.version);
  const text = readFileSync(req.file, 'utf8');
  const existing = existsSync(stored) ? readFileSync(stored, 'utf8') : undefined;
  if (existing !== undefined && existing !== text && !req.replace) {
    return { ok: false, problems: [`${stored} already holds another manifest for ${req.client} ${req.version}: a shipped version's operations do not change; pass --replace only if this version has not shipped`] };
  }
  // The new manifest must not give an id another meaning than a manifest it will be served beside.
  try {
    const others = loadClientManifests(req.dir, req.manifestLimits).filter((m) => path.resolve(m.file) !== path.resolve(stored));
    const shared = req.sharedManifest ? loadTrustedDocuments(req.sharedManifest, req.manifestLimits).values() : [];
    createTrustedDocumentStore(shared, [...others, { client: req.client, version: req.version, file: `${req.file} (${req.client} ${req.version})`, ...parsed }]);
  } catch (err) {
    return { ok: false, problems: [(err as Error).message] };
  }
  mkdirSync(path.dirname(stored), { recursive: true });
  // Stored as the toolchain wrote it, so the file in review is the file the app was built with.
  if (existing !== text) writeFileSync(stored, text);
  return { ok: true, stored, operations: parsed.operations.length, format: parsed.format, unchanged: existing === text };
}
