/**
 * The nullability lint on small composed supergraphs: a non-null field is reported exactly
 * when a parent field reaches its type from a subgraph that cannot resolve it.
 */
import { parse } from 'graphql';
import { prepareSupergraph } from '../../shared/graphql/authorization/supergraph-authorization';
import { composeSupergraph } from '../../supergraph/composition';
import { crossSubgraphNonNullFields, describeCrossSubgraphNonNull } from '../../supergraph/schema-check/nullability-lint';
import { onlyLoosensNullability } from '../../supergraph/schema-check/schema-check';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides", "@shareable"])';

function lint(subgraphs: Record<string, string>) {
  const composed = composeSupergraph(Object.entries(subgraphs).map(([name, sdl]) => ({ name, url: `http://127.0.0.1/${name}`, file: `${name}.graphql`, typeDefs: parse(`${LINK}\n${sdl}`) })));
  if (!composed.ok) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const { gatewaySdl, apiSchema } = prepareSupergraph(composed.supergraphSdl);
  return crossSubgraphNonNullFields(gatewaySdl, apiSchema);
}

const SHOP = `
  type Query { items: [Item!] }
  type Item @key(fields: "id") { id: ID! title: String! }
`;

describe('crossSubgraphNonNullFields', () => {
  it('reports a non-null field contributed by another subgraph, naming the type, field and both subgraphs', () => {
    const found = lint({ shop: SHOP, stock: 'type Item @key(fields: "id") { id: ID! inStock: Boolean! }' });
    expect(found).toEqual([{ type: 'Item', field: 'inStock', fieldType: 'Boolean!', resolvedBy: ['stock'], parentSubgraph: 'shop', parentFields: ['Query.items'] }]);
    expect(describeCrossSubgraphNonNull(found[0]!)).toBe(
      'Item.inStock: Boolean! is resolved by stock, but Item is reached from subgraph shop (Query.items): when stock fails, its null goes up past Item and drops the data from shop with it; declare it nullable (Boolean)',
    );
  });

  it('is silent when the contributed field is nullable', () => {
    expect(lint({ shop: SHOP, stock: 'type Item @key(fields: "id") { id: ID! inStock: Boolean }' })).toEqual([]);
  });

  it('never reports key fields, which every subgraph holding the reference resolves', () => {
    const found = lint({ shop: SHOP, stock: 'type Item @key(fields: "id") { id: ID! inStock: Boolean }', carts: 'type Query { cart: [Item!]! } type Item @key(fields: "id", resolvable: false) { id: ID! }' });
    expect(found.map((f) => `${f.type}.${f.field}@${f.parentSubgraph}`)).toEqual(['Item.title@carts']);
  });

  it('reports the owner\'s own fields when another subgraph is the parent, once per parent subgraph', () => {
    const found = lint({
      shop: SHOP,
      reviews: 'type Query { latest: [Review!] } type Review @key(fields: "id") { id: ID! item: Item! } type Item @key(fields: "id") { id: ID! }',
    });
    expect(found).toEqual([{ type: 'Item', field: 'title', fieldType: 'String!', resolvedBy: ['shop'], parentSubgraph: 'reviews', parentFields: ['Review.item'] }]);
  });

  it('counts a field the parent provides as local', () => {
    const found = lint({
      shop: 'type Query { items: [Item!] } type Item @key(fields: "id") { id: ID! title: String! @shareable }',
      reviews: 'type Query { latest: [Review!] } type Review @key(fields: "id") { id: ID! item: Item! @provides(fields: "title") } type Item @key(fields: "id") { id: ID! title: String! @external }',
    });
    expect(found).toEqual([]);
  });
});

describe('onlyLoosensNullability', () => {
  it.each([
    ['Int!', 'Int', true],
    ['[Review!]!', '[Review!]', true],
    ['[Review!]!', '[Review]', true],
    ['Int', 'Int!', false],
    ['Int!', 'Float', false],
    ['[Int!]', 'Int', false],
    ['Int', 'Int', false],
  ])('%s -> %s is %s', (before, after, expected) => {
    expect(onlyLoosensNullability(before, after)).toBe(expected);
  });
});
