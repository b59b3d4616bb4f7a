/**
 * Trusted documents: the operations a first-party app ships with, registered at build time
 * as `sha256(document) -> document`. A client sends the id (`{ "id": "<sha256>" }`, or the
 * automatic persisted query extension with that hash) instead of the text; in production
 * anything not in the manifest is refused, so the API only ever runs operations that were
 * reviewed and shipped.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { readOperationFiles } from './operation-files';

export const TRUSTED_DOCUMENTS_FORMAT = 'portico-trusted-documents';

export interface TrustedDocument {
  id: string;
  name: string;
  file: string;
  body: string;
}

export interface TrustedDocumentsManifest {
  format: typeof TRUSTED_DOCUMENTS_FORMAT;
  version: 1;
  operations: TrustedDocument[];
}

export function documentId(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Reads every `*.graphql` file of `dir` (one named operation each) into a manifest. */
export function buildTrustedDocumentsManifest(dir: string): TrustedDocumentsManifest {
  const operations = readOperationFiles(dir).map(({ file, name, body: raw }) => {
    // Hashed as committed: trailing whitespace is not part of the document's identity.
    const body = raw.trim() + '\n';
    return { id: documentId(body), name, file, body };
  });
  const names = new Set<string>();
  for (const op of operations) {
    if (names.has(op.name)) throw new Error(`operation name '${op.name}' is used twice`);
    names.add(op.name);
  }
  return { format: TRUSTED_DOCUMENTS_FORMAT, version: 1, operations };
}

export function loadTrustedDocuments(manifestPath: string): Map<string, TrustedDocument> {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Partial<TrustedDocumentsManifest>;
  if (manifest.format !== TRUSTED_DOCUMENTS_FORMAT || !Array.isArray(manifest.operations)) throw new Error(`${manifestPath} is not a trusted documents manifest`);
  return new Map(manifest.operations.map((op) => [op.id, op]));
}

export interface DocumentRequest {
  query?: unknown;
  id?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

export type DocumentResolution = { ok: true; query: string | undefined } | { ok: false; status: number; code: string; message: string };

function persistedHash(extensions: unknown): string | undefined {
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
}

/** Pure: which document a request runs, or why it is refused. `requireTrusted` is production mode. */
export function resolveDocument(request: DocumentRequest, documents: ReadonlyMap<string, TrustedDocument>, requireTrusted: boolean): DocumentResolution {
  const rawId = request.documentId ?? request.id;
  const query = typeof request.query === 'string' ? request.query : undefined;
  if (rawId !== undefined) {
    const id = typeof rawId === 'string' ? rawId.replace(/^sha256:/, '') : '';
    const document = documents.get(id);
    if (!document) return { ok: false, status: 400, code: 'PERSISTED_DOCUMENT_NOT_FOUND', message: `No trusted document has id '${String(rawId).slice(0, 80)}'.` };
    if (query !== undefined && query !== document.body) return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'The query does not match the document id.' };
    return { ok: true, query: document.body };
  }
  const hash = persistedHash(request.extensions);
  if (query === undefined && hash !== undefined) {
    const document = documents.get(hash);
    if (document) return { ok: true, query: document.body };
    if (requireTrusted) return { ok: false, status: 400, code: 'PERSISTED_DOCUMENT_NOT_FOUND', message: `No trusted document has hash '${hash.slice(0, 80)}'.` };
    return { ok: true, query: undefined };
  }
  if (query !== undefined && requireTrusted && !documents.has(documentId(query))) {
    return { ok: false, status: 400, code: 'PERSISTED_QUERY_NOT_TRUSTED', message: 'Only the operations registered for this app are accepted; send a trusted document id.' };
  }
  return { ok: true, query };
}
