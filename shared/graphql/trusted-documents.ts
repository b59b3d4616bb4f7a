/**
 * Trusted documents: the operations a first-party app ships with, registered at build time
 * as `id -> document`. A client sends the id (`{ "id" }`, `{ "documentId": "sha256:…" }`,
 * Relay's `{ "doc_id" }`, or the persisted-query extension's hash) instead of the text; in
 * production anything not registered for that client is refused, so the API only ever runs
 * operations that were reviewed and shipped.
 *
 * Two kinds of manifest are active at once: Portico's own (`npm run operations:manifest`),
 * which every client may use, and the manifests of app versions in the field (`npm run
 * operations:import`), each tagged with its client name and version. The client name a
 * request states chooses among the latter. It is not a credential: anyone can send any
 * name, and gets that client's documents, which is the point (a compromised or curious
 * client cannot run documents no shipped app uses). Authentication stays the job of authn.
 */
import { parse } from 'graphql';
import { readOperationFiles } from './operation-files';
import {
  DEFAULT_MANIFEST_LIMITS,
  TRUSTED_DOCUMENTS_FORMAT,
  apolloClientPrint,
  canonicalDocumentId,
  loadClientManifests,
  loadTrustedDocuments,
  sha256Hex,
  type ClientManifest,
  type ManifestLimits,
  type TrustedDocument,
  type TrustedDocumentsManifest,
} from './trusted-document-manifests';
import type { TrustedDocumentsSettings } from './trusted-documents-settings';

export {
  TRUSTED_DOCUMENTS_FORMAT,
  loadTrustedDocuments,
  type TrustedDocument,
  type TrustedDocumentsManifest,
} from './trusted-document-manifests';

/** sha256 of a document's text, in hex: the id Apollo's toolchains and Portico's manifest give it. */
export const documentId = sha256Hex;

/**
 * Reads every `*.graphql` file of `dir` (one named operation each) into Portico's manifest.
 * Each document is stored as Apollo Client prints it (`apolloClientPrint`: `__typename`
 * added, definitions sorted, graphql-js `print`) and its id is the sha256 of that text, so
 * an app built with Apollo Client, Apollo iOS or Apollo Kotlin sends exactly these ids.
 */
export function buildTrustedDocumentsManifest(dir: string): TrustedDocumentsManifest {
  const operations = readOperationFiles(dir).map(({ file, name, body: raw }) => {
    const body = apolloClientPrint(parse(raw));
    return { id: documentId(body), name, file, body };
  });
  const names = new Set<string>();
  for (const op of operations) {
    if (names.has(op.name)) throw new Error(`operation name '${op.name}' is used twice`);
    names.add(op.name);
  }
  return { format: TRUSTED_DOCUMENTS_FORMAT, version: 1, operations };
}

/** What a request's client did not register: `shared` only (Portico's own manifest), or `any` imported manifest too. */
export type UnknownClientsPolicy = 'shared' | 'any';
export const DEFAULT_UNKNOWN_CLIENTS: UnknownClientsPolicy = 'shared';

/** The documents one request may run. */
interface DocumentScope {
  byId: ReadonlyMap<string, TrustedDocument>;
  bodies: ReadonlySet<string>;
}

/** The client a request says it is (`apollographql-client-name` / `-version`, or `x-client-name` / `-version`). */
export interface ClientIdentity {
  name?: string;
  version?: string;
}

export interface TrustedDocumentStore {
  /** The documents a request from `client` may run. */
  scopeOf(client: ClientIdentity): DocumentScope;
  /** Whether `id` is registered for any client. */
  knows(id: string): boolean;
  /** Every distinct document (warm-up). */
  documents(): TrustedDocument[];
  /** Imported client manifests, `client@version`. */
  clientVersions(): string[];
}

function scopeOf(...sets: Iterable<TrustedDocument>[]): DocumentScope {
  const byId = new Map<string, TrustedDocument>();
  for (const set of sets) for (const doc of set) byId.set(doc.id, doc);
  return { byId, bodies: new Set([...byId.values()].map((d) => d.body)) };
}

/**
 * Pure: the store over Portico's own documents and the imported client manifests. An id
 * that means different documents in two manifests a request could use together is an error
 * (thrown here, at start), never a coin toss at request time.
 */
export function createTrustedDocumentStore(shared: Iterable<TrustedDocument>, clients: readonly ClientManifest[], unknownClients: UnknownClientsPolicy = DEFAULT_UNKNOWN_CLIENTS): TrustedDocumentStore {
  const sharedDocs = [...shared];
  const seen = new Map<string, { body: string; where: string }>();
  const note = (doc: TrustedDocument, where: string) => {
    const before = seen.get(doc.id);
    if (before && before.body !== doc.body) throw new Error(`trusted documents: id ${doc.id} means one document in ${before.where} and another in ${where}`);
    seen.set(doc.id, { body: doc.body, where });
  };
  for (const doc of sharedDocs) note(doc, "Portico's manifest");
  for (const m of clients) for (const doc of m.operations) note(doc, m.file);

  const sharedScope = scopeOf(sharedDocs);
  const anyScope = scopeOf(sharedDocs, ...clients.map((m) => m.operations));
  const byClient = new Map<string, { all: DocumentScope; versions: Map<string, DocumentScope> }>();
  for (const name of new Set(clients.map((m) => m.client))) {
    const own = clients.filter((m) => m.client === name);
    byClient.set(name, { all: scopeOf(sharedDocs, ...own.map((m) => m.operations)), versions: new Map(own.map((m) => [m.version, scopeOf(sharedDocs, m.operations)])) });
  }
  return {
    scopeOf(client) {
      const known = client.name === undefined ? undefined : byClient.get(client.name);
      if (!known) return unknownClients === 'any' ? anyScope : sharedScope;
      // A version with its own manifest runs that manifest; an unimported version any of its client's.
      return (client.version !== undefined ? known.versions.get(client.version) : undefined) ?? known.all;
    },
    knows: (id) => anyScope.byId.has(id),
    documents: () => [...anyScope.byId.values()],
    clientVersions: () => clients.map((m) => `${m.client}@${m.version}`),
  };
}

export interface DocumentRequest {
  query?: unknown;
  id?: unknown;
  documentId?: unknown;
  /** Relay's persisted queries. */
  doc_id?: unknown;
  extensions?: unknown;
}

export type DocumentResolution = { ok: true; query: string | undefined } | { ok: false; status: number; code: string; message: string };

function persistedHash(extensions: unknown): { present: boolean; hash: unknown } {
  const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return { present: persisted !== undefined && persisted !== null, hash: persisted?.sha256Hash };
}

const shown = (raw: unknown) => JSON.stringify(typeof raw === 'string' ? raw.slice(0, 80) : raw === undefined ? null : String(raw).slice(0, 80));

function clientLabel(client: ClientIdentity): string {
  return client.name === undefined ? 'a request without a known client name' : `client '${client.name}'${client.version !== undefined ? ` ${client.version}` : ''}`;
}

function refused(code: string, message: string): DocumentResolution {
  return { ok: false, status: 400, code, message };
}

/** Pure: why `id` (well-formed, absent from the request's scope) is refused. */
function notRegistered(id: string, client: ClientIdentity, store: TrustedDocumentStore): DocumentResolution {
  if (store.knows(id)) {
    return refused(
      'PERSISTED_DOCUMENT_NOT_FOR_CLIENT',
      `Trusted document '${id}' is not registered for ${clientLabel(client)}; send the app's own name and version in apollographql-client-name and apollographql-client-version.`,
    );
  }
  return refused('PERSISTED_DOCUMENT_NOT_FOUND', `No trusted document has id '${id}'.`);
}

/**
 * Pure: which document a request runs, or why it is refused. `requireTrusted` is production
 * mode. Ids are checked for form before any lookup.
 */
export function resolveDocument(request: DocumentRequest, client: ClientIdentity, store: TrustedDocumentStore, requireTrusted: boolean): DocumentResolution {
  const scope = store.scopeOf(client);
  const rawId = request.documentId ?? request.doc_id ?? request.id;
  const query = typeof request.query === 'string' ? request.query : undefined;
  if (rawId !== undefined && rawId !== null) {
    const id = canonicalDocumentId(rawId);
    if (id === undefined) return refused('PERSISTED_DOCUMENT_ID_INVALID', `${shown(rawId)} is not a document id: 1-128 characters of A-Z a-z 0-9 . _ ~ -, or sha256:<64 lowercase hex>.`);
    const document = scope.byId.get(id);
    if (!document) return notRegistered(id, client, store);
    if (query !== undefined && query !== document.body) return refused('BAD_REQUEST', 'The query does not match the document id.');
    return { ok: true, query: document.body };
  }
  const persisted = persistedHash(request.extensions);
  if (query === undefined && persisted.present) {
    const hash = canonicalDocumentId(persisted.hash);
    if (hash === undefined) return refused('PERSISTED_DOCUMENT_ID_INVALID', `${shown(persisted.hash)} is not a persisted-query hash.`);
    const document = scope.byId.get(hash);
    if (document) return { ok: true, query: document.body };
    if (requireTrusted) return notRegistered(hash, client, store);
    // Development: an unknown hash is left to automatic persisted queries.
    return { ok: true, query: undefined };
  }
  if (query !== undefined && requireTrusted && !scope.bodies.has(query)) {
    return refused('PERSISTED_QUERY_NOT_TRUSTED', 'Only the operations registered for this app are accepted; send a trusted document id.');
  }
  return { ok: true, query };
}

/**
 * Loads the store a BFF serves: Portico's manifest and every imported client manifest,
 * each checked (form, size, count, ids); a bad one throws naming the file, so the BFF
 * does not start on it.
 */
export function loadTrustedDocumentStore(settings: TrustedDocumentsSettings): TrustedDocumentStore {
  const limits: ManifestLimits = {
    maxManifestBytes: settings.maxManifestBytes ?? DEFAULT_MANIFEST_LIMITS.maxManifestBytes,
    maxOperationsPerManifest: settings.maxOperationsPerManifest ?? DEFAULT_MANIFEST_LIMITS.maxOperationsPerManifest,
  };
  const shared = settings.manifestPath ? loadTrustedDocuments(settings.manifestPath, limits).values() : [];
  const clients = settings.clientManifestsDir ? loadClientManifests(settings.clientManifestsDir, limits) : [];
  return createTrustedDocumentStore(shared, clients, settings.unknownClients ?? DEFAULT_UNKNOWN_CLIENTS);
}
