/**
 * Every GraphQL operation a Portico client depends on: the web app's documents, the mobile
 * app's trusted documents (which run on the mobile contract), and the operations behind
 * partner routes (with the routes they back, so a failure names the REST route). Read from
 * the plain list `bffs/client-operations.json`: the schema check runs no BFF code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readOperations } from '../../shared/graphql/operation-executor';
import { loadClientManifests, loadTrustedDocuments } from '../../shared/graphql/trusted-document-manifests';
import type { RegisteredOperation } from './schema-check';

const REPO_ROOT = path.resolve(__dirname, '../..');
/** The list of clients and where their operations live. */
export const CLIENT_OPERATIONS_FILE = path.join(REPO_ROOT, 'bffs/client-operations.json');

export interface ClientOperations {
  client: RegisteredOperation['client'];
  schema: RegisteredOperation['schema'];
  /** Folder of `*.graphql` files, one named operation each (relative to the repository root). */
  operationsDir?: string;
  /** A trusted documents manifest (relative to the repository root). */
  trustedDocuments?: string;
  /** Folder of imported client manifests, `<client>/<version>.json` (relative to the repository root). */
  clientManifests?: string;
  /** REST routes each operation backs, by operation name. */
  routes?: Readonly<Record<string, readonly string[]>>;
}

export function readClientOperations(file = CLIENT_OPERATIONS_FILE): ClientOperations[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { clients: ClientOperations[] }).clients;
}

const relative = (file: string) => path.relative(REPO_ROOT, file);

export function registeredOperations(clients: readonly ClientOperations[] = readClientOperations()): RegisteredOperation[] {
  const operations: RegisteredOperation[] = [];
  for (const entry of clients) {
    if (entry.operationsDir) {
      const dir = path.join(REPO_ROOT, entry.operationsDir);
      for (const [name, document] of readOperations(dir)) {
        operations.push({ client: entry.client, name, file: relative(path.join(dir, `${name}.graphql`)), document, schema: entry.schema, ...(entry.routes ? { routes: [...(entry.routes[name] ?? [])] } : {}) });
      }
    }
    if (entry.trustedDocuments) {
      const manifest = path.join(REPO_ROOT, entry.trustedDocuments);
      for (const doc of loadTrustedDocuments(manifest).values()) {
        operations.push({ client: entry.client, name: doc.name, file: relative(doc.file ? path.join(path.dirname(manifest), doc.file) : manifest), document: doc.body, schema: entry.schema });
      }
    }
    if (entry.clientManifests) {
      // Each app version in the field is protected like the operations in the repository.
      for (const imported of loadClientManifests(path.resolve(REPO_ROOT, entry.clientManifests))) {
        for (const doc of imported.operations) operations.push({ client: entry.client, name: doc.name, file: relative(imported.file), document: doc.body, schema: entry.schema });
      }
    }
  }
  return operations;
}

export function readCommitted(supergraphFile: string, contractFiles: Record<string, string>): { supergraph: string; contracts: Record<string, string> } {
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  return { supergraph: read(supergraphFile), contracts: Object.fromEntries(Object.entries(contractFiles).map(([n, f]) => [n, read(f)])) };
}
