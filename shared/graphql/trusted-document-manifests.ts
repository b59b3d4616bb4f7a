/**
 * The persisted-operation manifests client toolchains write, read as they write them:
 * - `apollo-persisted-query-manifest` (`@apollo/generate-persisted-query-manifest`, Apollo iOS
 *   and Apollo Kotlin codegen): `{ format, version: 1, operations: [{ id, name, type, body }] }`;
 * - a map of id to document (Relay's `persisted_queries.json`, GraphQL Code Generator's
 *   `persisted-documents.json`), keys bare or `sha256:<hex>`;
 * - Portico's own `portico-trusted-documents` (`npm run operations:manifest`).
 *
 * Everything a request could later trip on is checked here, once, at import and at start:
 * size, operation count, id format, one operation per document, one document per id. A bad
 * manifest is an error naming the file and what is wrong, never a failure at request time.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, print, visit, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

export const TRUSTED_DOCUMENTS_FORMAT = 'portico-trusted-documents';
export const APOLLO_MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

/** Which toolchain format a manifest was read as. */
export type ManifestFormat = typeof TRUSTED_DOCUMENTS_FORMAT | typeof APOLLO_MANIFEST_FORMAT | 'id-map';

export interface TrustedDocument {
  /** The id clients send (`sha256:` prefix removed). */
  id: string;
  /** The operation's name. */
  name: string;
  /** The document exactly as clients print it. */
  body: string;
  /** Portico's own manifest: the `.graphql` file the document comes from. */
  file?: string;
}

export interface TrustedDocumentsManifest {
  format: typeof TRUSTED_DOCUMENTS_FORMAT;
  version: 1;
  operations: Array<Required<TrustedDocument>>;
}

/** Bounds on one manifest, checked before anything of it is kept. */
export interface ManifestLimits {
  /** Largest manifest file, in bytes. Default 4 MiB. */
  maxManifestBytes: number;
  /** Most operations in one manifest. Default 2,000. */
  maxOperationsPerManifest: number;
}

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = { maxManifestBytes: 4 * 1024 * 1024, maxOperationsPerManifest: 2_000 };

/** Longest document id accepted, in characters (a sha256 in hex is 64). */
export const MAX_DOCUMENT_ID_LENGTH = 128;
// URL-unreserved characters only, so an id goes into a GET query string unescaped.
const ID_PATTERN = new RegExp(`^[A-Za-z0-9._~-]{1,${MAX_DOCUMENT_ID_LENGTH}}$`);
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const SHA256_PREFIX = 'sha256:';

/** A client name or version as Portico keeps it (directory and file names of imported manifests). */
export const CLIENT_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CLIENT_VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/** An error in a manifest or in how it is stored: one line naming the file and the problem. */
export class TrustedManifestError extends Error {
  override name = 'TrustedManifestError';
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Pure: the id a request or manifest names, or undefined when it is not a well-formed id.
 * `sha256:<hex>` (the GraphQL-over-HTTP persisted documents convention) must carry a full
 * lowercase sha256; a bare id is 1-128 URL-unreserved characters. Checked before any lookup,
 * so nothing unbounded reaches a map or a log line.
 */
export function canonicalDocumentId(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  if (raw.startsWith(SHA256_PREFIX)) {
    const hex = raw.slice(SHA256_PREFIX.length);
    return SHA256_PATTERN.test(hex) ? hex : undefined;
  }
  return ID_PATTERN.test(raw) ? raw : undefined;
}

const TYPENAME_FIELD: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * Pure: a document as Apollo Client sends it (and as `@apollo/generate-persisted-query-manifest`,
 * Apollo iOS and Apollo Kotlin hash it): `__typename` added to every selection set below the
 * operation's root (unless one is there, or the set is `@export`ed), top-level definitions sorted
 * by kind then name, printed by graphql-js (no comments, canonical spacing).
 */
export function apolloClientPrint(document: DocumentNode): string {
  const withTypename = visit(document, {
    SelectionSet: {
      enter(node: SelectionSetNode, _key, parent) {
        if (parent && (parent as { kind?: string }).kind === Kind.OPERATION_DEFINITION) return undefined;
        if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))) return undefined;
        const field = parent as { kind?: string; directives?: readonly { name: { value: string } }[] } | undefined;
        if (field?.kind === Kind.FIELD && field.directives?.some((d) => d.name.value === 'export')) return undefined;
        return { ...node, selections: [...node.selections, TYPENAME_FIELD] };
      },
    },
  });
  const definitions = [...withTypename.definitions].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind > b.kind ? -1 : 1;
    const nameOf = (d: typeof a) => (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION ? (d.name?.value ?? '') : '');
    return nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;
  });
  return print({ ...withTypename, definitions });
}

function operationOf(body: string, where: string): OperationDefinitionNode {
  let document: DocumentNode;
  try {
    document = parse(body, { noLocation: true });
  } catch (err) {
    throw new TrustedManifestError(`${where}: the document does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw new TrustedManifestError(`${where}: a document holds exactly one operation (found ${operations.length})`);
  return operations[0] as OperationDefinitionNode;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The id/body pairs of a parsed manifest, before the checks every format shares. */
function entriesOf(json: unknown, source: string): { format: ManifestFormat; entries: Array<{ id: unknown; name?: unknown; body: unknown; file?: unknown }> } {
  if (isRecord(json) && json.format === APOLLO_MANIFEST_FORMAT) {
    if (json.version !== 1) throw new TrustedManifestError(`${source}: ${APOLLO_MANIFEST_FORMAT} version ${String(json.version)} is not supported (only 1)`);
    if (!Array.isArray(json.operations)) throw new TrustedManifestError(`${source}: 'operations' must be a list`);
    return { format: APOLLO_MANIFEST_FORMAT, entries: json.operations.map((op) => (isRecord(op) ? { id: op.id, name: op.name, body: op.body } : { id: undefined, body: undefined })) };
  }
  if (isRecord(json) && json.format === TRUSTED_DOCUMENTS_FORMAT) {
    if (json.version !== 1 || !Array.isArray(json.operations)) throw new TrustedManifestError(`${source}: not a version 1 ${TRUSTED_DOCUMENTS_FORMAT} manifest`);
    return { format: TRUSTED_DOCUMENTS_FORMAT, entries: json.operations.map((op) => (isRecord(op) ? { id: op.id, name: op.name, body: op.body, file: op.file } : { id: undefined, body: undefined })) };
  }
  if (isRecord(json) && !('format' in json) && Object.values(json).every((v) => typeof v === 'string')) {
    return { format: 'id-map', entries: Object.entries(json).map(([id, body]) => ({ id, body })) };
  }
  throw new TrustedManifestError(
    `${source}: not a persisted-operation manifest: expected ${APOLLO_MANIFEST_FORMAT}, ${TRUSTED_DOCUMENTS_FORMAT}, or a map of id to document (Relay, GraphQL Code Generator)`,
  );
}

/**
 * Pure: the trusted documents of one manifest's text, or a `TrustedManifestError` naming
 * `source` and the first problem. Ids in Portico's format and `sha256:` keys must be the
 * sha256 of their document; other ids are the toolchain's own (Relay uses md5, Apollo
 * allows custom ids) and only their form is checked.
 */
export function parseTrustedManifest(text: string, source: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): { format: ManifestFormat; operations: TrustedDocument[] } {
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxManifestBytes) throw new TrustedManifestError(`${source}: ${bytes} bytes is over the ${limits.maxManifestBytes}-byte manifest limit`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrustedManifestError(`${source}: not JSON: ${(err as Error).message}`);
  }
  const { format, entries } = entriesOf(json, source);
  if (entries.length === 0) throw new TrustedManifestError(`${source}: the manifest has no operations`);
  if (entries.length > limits.maxOperationsPerManifest) throw new TrustedManifestError(`${source}: ${entries.length} operations is over the limit of ${limits.maxOperationsPerManifest} per manifest`);
  const byId = new Map<string, TrustedDocument>();
  entries.forEach((entry, index) => {
    const label = typeof entry.name === 'string' ? `'${entry.name.slice(0, 80)}'` : `#${index + 1}`;
    const where = `${source}: operation ${label}`;
    const id = canonicalDocumentId(entry.id);
    if (id === undefined) throw new TrustedManifestError(`${where}: id ${JSON.stringify(String(entry.id).slice(0, 80))} is not a document id (1-${MAX_DOCUMENT_ID_LENGTH} characters of A-Z a-z 0-9 . _ ~ -, or sha256:<64 hex>)`);
    if (typeof entry.body !== 'string') throw new TrustedManifestError(`${where}: 'body' must be the document's text`);
    const operation = operationOf(entry.body, where);
    const name = operation.name?.value ?? (typeof entry.name === 'string' ? entry.name : '');
    if (!name) throw new TrustedManifestError(`${where}: the operation has no name`);
    const hashed = format === TRUSTED_DOCUMENTS_FORMAT || (typeof entry.id === 'string' && entry.id.startsWith(SHA256_PREFIX));
    if (hashed && sha256Hex(entry.body) !== id) throw new TrustedManifestError(`${where}: id ${id} is not the sha256 of its document`);
    const previous = byId.get(id);
    if (previous && previous.body !== entry.body) throw new TrustedManifestError(`${where}: id ${id} names two different documents`);
    byId.set(id, { id, name, body: entry.body, ...(typeof entry.file === 'string' ? { file: entry.file } : {}) });
  });
  return { format, operations: [...byId.values()] };
}

/** Reads one manifest file, refusing an oversized one before reading it. */
export function readTrustedManifest(file: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS, source = file): { format: ManifestFormat; operations: TrustedDocument[] } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new TrustedManifestError(`${source}: cannot be read: ${(err as Error).message}`);
  }
  if (size > limits.maxManifestBytes) throw new TrustedManifestError(`${source}: ${size} bytes is over the ${limits.maxManifestBytes}-byte manifest limit`);
  return parseTrustedManifest(readFileSync(file, 'utf8'), source, limits);
}

/** Portico's own manifest (`npm run operations:manifest`): documents every client may use. */
export function loadTrustedDocuments(manifestPath: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): Map<string, TrustedDocument> {
  const { format, operations } = readTrustedManifest(manifestPath, limits);
  if (format !== TRUSTED_DOCUMENTS_FORMAT) throw new TrustedManifestError(`${manifestPath}: not a ${TRUSTED_DOCUMENTS_FORMAT} manifest`);
  return new Map(operations.map((op) => [op.id, op]));
}

/** One client version's manifest, imported by `npm run operations:import`. */
export interface ClientManifest {
  client: string;
  version: string;
  /** The stored file, for messages. */
  file: string;
  format: ManifestFormat;
  operations: TrustedDocument[];
}

/** Where `operations:import` stores a client version's manifest: `<dir>/<client>/<version>.json`. */
export function clientManifestPath(dir: string, client: string, version: string): string {
  return path.join(dir, client, `${version}.json`);
}

/**
 * Every imported manifest under `dir` (`<client>/<version>.json`); a missing folder holds
 * none. Other files beside the client folders (a README) are left alone; anything else out
 * of place inside a client folder is an error, so a misplaced manifest is never silently ignored.
 */
export function loadClientManifests(dir: string, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS): ClientManifest[] {
  let clients: string[];
  try {
    clients = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TrustedManifestError(`${dir}: cannot be read: ${(err as Error).message}`);
  }
  const manifests: ClientManifest[] = [];
  for (const client of clients) {
    if (!CLIENT_NAME_PATTERN.test(client)) throw new TrustedManifestError(`${path.join(dir, client)}: '${client}' is not a client name (${CLIENT_NAME_PATTERN.source})`);
    for (const entry of readdirSync(path.join(dir, client)).sort()) {
      const file = path.join(dir, client, entry);
      const version = entry.endsWith('.json') ? entry.slice(0, -'.json'.length) : '';
      if (!CLIENT_VERSION_PATTERN.test(version)) throw new TrustedManifestError(`${file}: expected <version>.json (${CLIENT_VERSION_PATTERN.source}) in a client folder`);
      manifests.push({ client, version, file, ...readTrustedManifest(file, limits) });
    }
  }
  return manifests;
}
