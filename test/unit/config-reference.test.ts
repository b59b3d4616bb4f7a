import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configurationReference, withReference } from '../../bffs/dev/config-reference';
import { policiesEnvSpec } from '../../shared/config/policies-env';
import { configFileEnvSpec } from '../../shared/config/config-file';
import { productionEnvSpec } from '../../shared/config/production-checks';
import { workersEnvSpec } from '../../shared/config/server-env';
import { graphqlRoutesEnvSpec } from '../../shared/graphql/federated-graphql-env';
import { serverEnvSpec } from '../../shared/server-env';

const DOC = path.resolve(__dirname, '../../docs/configuration.md');

describe('the configuration reference', () => {
  it('in docs/configuration.md is the one generated from the env mappings (run npm run docs:config)', () => {
    const committed = readFileSync(DOC, 'utf8');
    expect(withReference(committed, configurationReference())).toBe(committed);
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
