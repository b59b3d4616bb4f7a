/**
 * The committed supergraph is what the BFFs serve: it must equal a fresh composition of
 * the subgraph schemas, and composition problems must be reported by subgraph.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SUPERGRAPH_FILE, composeSupergraph, formatCompositionProblems, loadSubgraphDefinitions } from '../../supergraph/composition';

describe('supergraph composition', () => {
  it('matches the committed supergraph.graphql (run `npm run supergraph:compose` when this fails)', async () => {
    const outcome = composeSupergraph(await loadSubgraphDefinitions());
    if (!outcome.ok) throw new Error(formatCompositionProblems(outcome.errors));
    expect(await readFile(SUPERGRAPH_FILE, 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('records every subgraph with its default local URL', async () => {
    const committed = await readFile(SUPERGRAPH_FILE, 'utf8');
    for (const [name, port] of [['ACCOUNTS', 4101], ['PRODUCTS', 4102], ['INVENTORY', 4103], ['REVIEWS', 4104], ['ORDERS', 4105]] as const) {
      expect(committed).toContain(`${name} @join__graph(name: "${name.toLowerCase()}", url: "http://127.0.0.1:${port}/graphql")`);
    }
  });

  it('fails on conflicting field types, naming both subgraphs and the file locations', async () => {
    const dir = path.resolve(__dirname, '../fixtures/subgraphs-conflict');
    const outcome = composeSupergraph(await loadSubgraphDefinitions(dir, ['alpha', 'beta']));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const report = formatCompositionProblems(outcome.errors);
    expect(report).toContain('Widget.size');
    expect(report).toMatch(/"alpha"/);
    expect(report).toMatch(/"beta"/);
    expect(report).toMatch(/subgraphs-conflict\/beta\/schema\.graphql:\d+:\d+/);
  });
});
