import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configurationReference, withReference, withReferences } from '../../bffs/dev/config-reference';
import { settingsReference } from '../../bffs/dev/settings-reference';
import { PIPELINE_POLICIES } from '../../shared/pipeline';
import { policiesEnvSpec } from '../../shared/config/policies-env';
import { configFileEnvSpec } from '../../shared/config/config-file';
import { productionEnvSpec } from '../../shared/config/production-checks';
import { workersEnvSpec } from '../../shared/config/server-env';
import { graphqlRoutesEnvSpec } from '../../shared/graphql/federated-graphql-env';
import { serverEnvSpec } from '../../shared/server-env';

const DOC = path.resolve(__dirname, '../../docs/configuration.md');

describe('the configuration reference', () => {
  it('in docs/configuration.md is the one generated from the env mappings and the settings schemas (run npm run docs:config)', () => {
    const committed = readFileSync(DOC, 'utf8');
    expect(withReferences(committed)).toBe(committed);
  });

  it('lists every manifest key each pipeline policy owns, and the server and route keys', () => {
    const generated = settingsReference();
    for (const key of PIPELINE_POLICIES.flatMap((policy) => Object.keys(policy.settings))) expect(generated).toMatch(new RegExp(`\\| \`policies\\.${key}[.\`]`));
    for (const key of ['server.requestTimeoutMs', 'routes.limits.maxDepth', 'routes.upstreams.<name>.origin', 'policies.rateLimit.store.failMode']) expect(generated).toContain(`| \`${key}\` |`);
  });

  it('lists every variable the BFFs read, prefixed families included', () => {
    const generated = configurationReference();
    const names = [...Object.keys(serverEnvSpec()), ...Object.keys(productionEnvSpec), ...Object.keys(workersEnvSpec), ...Object.keys(configFileEnvSpec), ...Object.keys(policiesEnvSpec), ...Object.keys(graphqlRoutesEnvSpec({ supergraphPath: 'x' }))];
    for (const name of [...names, 'SUBGRAPH_URL_<NAME>', 'SUBGRAPH_TARGETS_<NAME>', 'UPSTREAM_URL_<NAME>', 'UPSTREAM_TARGETS_<NAME>']) expect(generated).toContain(`| \`${name}\` |`);
  });

  it('refuses a document without its markers', () => {
    expect(() => withReference('# Configuration\n', 'x')).toThrow(/needs the markers/);
  });
});
