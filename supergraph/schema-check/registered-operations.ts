/**
 * Every GraphQL operation a Portico client depends on: the web app's documents, the mobile
 * app's trusted documents (which run on the mobile contract), and the operations behind
 * partner routes (with the routes they back, so a failure names the REST route).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MOBILE_TRUSTED_DOCUMENTS } from '../../bffs/mobile/manifest';
import { PARTNER_OPERATIONS_DIR, partnerManifest } from '../../bffs/partner/manifest';
import { WEB_OPERATIONS_DIR } from '../../bffs/web/manifest';
import { readOperations } from '../../shared/graphql/operation-executor';
import { loadTrustedDocuments } from '../../shared/graphql/trusted-documents';
import type { RegisteredOperation } from './schema-check';

const REPO_ROOT = path.resolve(__dirname, '../..');
const relative = (file: string) => path.relative(REPO_ROOT, file);

function fileOf(dir: string, name: string): string {
  return relative(path.join(dir, `${name}.graphql`));
}

export function registeredOperations(): RegisteredOperation[] {
  const operations: RegisteredOperation[] = [];
  for (const [name, document] of readOperations(WEB_OPERATIONS_DIR)) {
    operations.push({ client: 'web', name, file: fileOf(WEB_OPERATIONS_DIR, name), document, schema: 'supergraph' });
  }
  for (const doc of loadTrustedDocuments(MOBILE_TRUSTED_DOCUMENTS).values()) {
    operations.push({ client: 'mobile', name: doc.name, file: relative(path.join(path.dirname(MOBILE_TRUSTED_DOCUMENTS), doc.file)), document: doc.body, schema: 'contract:mobile' });
  }
  const routesByOperation = new Map<string, string[]>();
  for (const table of partnerManifest.routes.versions) {
    for (const route of table.routes) {
      if (route.kind === 'aggregate' && route.operation) routesByOperation.set(route.operation, [...(routesByOperation.get(route.operation) ?? []), `${route.method} ${route.path}`]);
    }
  }
  for (const [name, document] of readOperations(PARTNER_OPERATIONS_DIR)) {
    operations.push({ client: 'partner', name, file: fileOf(PARTNER_OPERATIONS_DIR, name), document, schema: 'supergraph', routes: routesByOperation.get(name) ?? [] });
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
