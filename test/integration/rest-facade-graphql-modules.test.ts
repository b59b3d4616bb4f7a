/**
 * A REST facade loads the GraphQL side only when its manifest declares GraphQL operations:
 * a partner BFF of passthrough and REST aggregates alone never requires it. With
 * operations, that side is Apollo's query planner under Portico's executor; Apollo Server
 * and Apollo Gateway (and what they load, about 60 MB of code) are never loaded.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { nodeArguments } from '../../shared/node-runtime';
import { REPO_ROOT } from '../helpers/processes';

/** Builds the partner BFF in a fresh process, with or without its GraphQL operations, and prints which Apollo packages it loaded. */
const LOADED_APOLLO_PACKAGES = `
const { buildServer } = require('./bffs/partner/server');
const { partnerManifest } = require('./bffs/partner/manifest');
(async () => {
  const { graphql, ...routes } = partnerManifest.routes;
  const upstreams = Object.fromEntries(Object.keys(routes.upstreams).map((n) => [n, { origin: 'http://127.0.0.1:1' }]));
  const app = await buildServer({ ...partnerManifest, routes: { ...routes, upstreams, ...(process.env.WITH_OPERATIONS === 'yes' ? { graphql: { ...graphql, warmUp: { enabled: false } } } : {}) } });
  const packages = ['@apollo/gateway', '@apollo/server', '@apollo/query-planner'];
  const loaded = packages.filter((p) => Object.keys(require.cache).some((file) => file.includes('/node_modules/' + p + '/')));
  process.stdout.write('\\nLOADED ' + JSON.stringify(loaded) + '\\n');
  await app.close();
})();
`;

async function loadedApolloPackages(withOperations: boolean): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArguments(), '-e', LOADED_APOLLO_PACKAGES], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'development', WITH_OPERATIONS: withOperations ? 'yes' : 'no' },
  });
  const line = stdout.split('\n').find((l) => l.startsWith('LOADED '));
  return JSON.parse(line?.slice('LOADED '.length) ?? 'null') as string[];
}

describe('the GraphQL side of a REST facade', () => {
  it('is not loaded by a facade without GraphQL operations', async () => {
    expect(await loadedApolloPackages(false)).toEqual([]);
  }, 60_000);

  it('is only the query planner for a facade that declares operations: neither Apollo Server nor Apollo Gateway', async () => {
    expect(await loadedApolloPackages(true)).toEqual(['@apollo/query-planner']);
  }, 60_000);
});
