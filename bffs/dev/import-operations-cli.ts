/**
 * `npm run operations:import -- <manifest> --client <name> --version <version> [--dir <folder>] [--replace]`
 * Imports a mobile app version's persisted-operation manifest (Apollo's
 * `persisted-query-manifest.json`, Relay's `persisted_queries.json`, GraphQL Code
 * Generator's `persisted-documents.json`) into the mobile BFF. Exit code 0 when stored.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mobileManifest } from '../mobile/manifest';
import { readEnv } from '../../shared/config/env';
import { graphqlRoutesEnvSpec, graphqlRoutesFrom } from '../../shared/graphql/federated-graphql-env';
import type { FederatedGraphqlOptions } from '../../shared/graphql/federated-graphql-options';
import { DEFAULT_OPERATION_LIMITS } from '../../shared/graphql/operation-limits';
import { DEFAULT_MANIFEST_LIMITS } from '../../shared/graphql/trusted-document-manifests';
import { importClientManifest } from './import-operations';

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { client: { type: 'string' }, version: { type: 'string' }, dir: { type: 'string' }, replace: { type: 'boolean' } },
  });
  const [file] = positionals;
  if (!file || !values.client || !values.version || positionals.length > 1) {
    process.stderr.write('usage: npm run operations:import -- <manifest> --client <name> --version <version> [--dir <folder>] [--replace]\n');
    return 2;
  }
  // The routes' own variables only: importing needs no credentials or policy settings.
  const routes: FederatedGraphqlOptions = graphqlRoutesFrom(readEnv(process.env, graphqlRoutesEnvSpec(mobileManifest.routes)), mobileManifest.routes);
  const trusted = routes.trustedDocuments;
  const dir = values.dir ?? trusted?.clientManifestsDir;
  if (!dir) {
    process.stderr.write('the mobile BFF has no client manifests folder: pass --dir or set TRUSTED_DOCUMENTS_CLIENT_MANIFESTS_DIR\n');
    return 2;
  }
  const outcome = importClientManifest({
    file,
    client: values.client,
    version: values.version,
    dir,
    ...(trusted?.manifestPath ? { sharedManifest: trusted.manifestPath } : {}),
    supergraphSdl: readFileSync(routes.supergraphPath, 'utf8'),
    contract: 'mobile',
    limits: { ...DEFAULT_OPERATION_LIMITS, ...routes.limits },
    manifestLimits: { maxManifestBytes: trusted?.maxManifestBytes ?? DEFAULT_MANIFEST_LIMITS.maxManifestBytes, maxOperationsPerManifest: trusted?.maxOperationsPerManifest ?? DEFAULT_MANIFEST_LIMITS.maxOperationsPerManifest },
    ...(values.replace ? { replace: true } : {}),
  });
  if (!outcome.ok) {
    process.stderr.write(`Not imported: ${values.client} ${values.version}\n${outcome.problems.map((p) => `  ✖ ${p}`).join('\n')}\n`);
    return 1;
  }
  const where = path.relative(process.cwd(), outcome.stored);
  process.stdout.write(
    `${outcome.unchanged ? 'Already imported' : 'Imported'}: ${outcome.operations} operation(s) (${outcome.format}) for ${values.client} ${values.version} in ${where}.\n` +
      'Commit it: the mobile BFF serves it from its next start, and `npm run schema:check` protects its operations.\n',
  );
  return 0;
}

process.exit(main());
