/**
 * The committed supergraph is what the BFFs serve: it must equal a fresh composition of
 * the subgraph schemas, and composition problems must be reported by subgraph.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GraphQLObjectType } from 'graphql';
import { CONTRACTS, buildContractSchema, printContract } from '../../supergraph/contracts';
import { SUPERGRAPH_FILE, composeSupergraph, formatCompositionProblems, loadSubgraphDefinitions } from '../../supergraph/composition';

describe('supergraph composition', () => {
  it('matches the committed supergraph.graphql (run `npm run supergraph:compose` when this fails)', async () => {
    const outcome = composeSupergraph(await loadSubgraphDefinitions());
    if (!outcome.ok) throw new Error(formatCompositionProblems(outcome.errors));
    expect(await readFile(SUPERGRAPH_FILE, 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('matches the committed contracts', async () => {
    const outcome = composeSupergraph(await loadSubgraphDefinitions());
    if (!outcome.ok) throw new Error(formatCompositionProblems(outcome.errors));
    for (const [name, contract] of Object.entries(CONTRACTS)) {
      expect(await readFile(contract.file, 'utf8')).toBe(printContract(name, outcome.supergraphSdl));
    }
  });

  it('leaves tagged fields, and types only they reach, out of the mobile contract', async () => {
    const mobile = await readFile(CONTRACTS.mobile?.file as string, 'utf8');
    const full = await readFile(SUPERGRAPH_FILE, 'utf8');
    const contract = buildContractSchema(full, ['internal', 'web-only']);
    const user = contract.getType('User') as GraphQLObjectType;
    expect(Object.keys(user.getFields())).toEqual(expect.arrayContaining(['id', 'username', 'name', 'reviews', 'orders']));
    expect(Object.keys(user.getFields())).not.toEqual(expect.arrayContaining(['email']));
    expect(Object.keys(contract.getQueryType()?.getFields() ?? {})).not.toContain('users');
    expect(mobile).not.toMatch(/email|description|join__|link__/);
    expect(full).toMatch(/email: String @join__field\(graph: ACCOUNTS\) @authenticated @tag\(name: "internal"\)/);
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
