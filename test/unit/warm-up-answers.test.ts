import { buildSchema } from 'graphql';
import { createWarmUpResponder, warmUpAnswer } from '../../shared/graphql/warm-up-answers';

const schema = buildSchema(`
  scalar DateTime
  enum Status { ACTIVE RETIRED }
  interface Node { id: ID! }
  type Product implements Node { id: ID! upc: String! price: Int weight: Float inStock: Boolean! status: Status since: DateTime reviews: [Review!]! tags: [[String]] }
  type Review implements Node { id: ID! body: String author: User }
  type User implements Node { id: ID! name: String }
  union SearchResult = Product | User
  type Query { topProducts(first: Int): [Product!]! node(id: ID!): Node search: SearchResult me: User _entities(representations: [_Any!]!): [_Entity]! }
  scalar _Any
  union _Entity = Product | User
  type Mutation { rename(name: String!): User }
`);

describe('warmUpAnswer', () => {
  it('answers every selected field with a value of its type, two items per list, aliases and __typename included', () => {
    const answer = warmUpAnswer(schema, '{ topProducts(first: 5) { __typename upc cost: price weight inStock status since tags reviews { body author { name } } } }', undefined);
    const product = { __typename: 'Product', upc: '1', cost: 1, weight: 1.5, inStock: true, status: 'ACTIVE', since: '1', tags: [['1', '1'], ['1', '1']], reviews: [{ body: '1', author: { name: '1' } }, { body: '1', author: { name: '1' } }] };
    expect(answer).toEqual({ data: { topProducts: [product, product] } });
  });

  it('answers an abstract type with one of its members, applying only the fragments that match it', () => {
    const answer = warmUpAnswer(schema, 'query Q { node(id: "1") { __typename id ...P ... on User { name } } search { ... on Node { id } } } fragment P on Product { upc }', undefined);
    expect(answer).toEqual({ data: { node: { __typename: 'Product', id: '1', upc: '1' }, search: { id: '1' } } });
  });

  it('answers `_entities` with one entity per representation, of its type', () => {
    const query = 'query($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Product { inStock } ... on User { name } } }';
    const representations = [{ __typename: 'User', id: '7' }, { __typename: 'Product', upc: '2' }, { __typename: 'Nope' }, null];
    expect(warmUpAnswer(schema, query, { representations })).toEqual({
      data: { _entities: [{ __typename: 'User', name: '1' }, { __typename: 'Product', inStock: true }, null, null] },
    });
    expect(warmUpAnswer(schema, query, {})).toEqual({ data: { _entities: [] } });
  });

  it('answers null for fields the schema does not know, and nothing for a mutation', () => {
    expect(warmUpAnswer(schema, '{ me { name unknown } }', undefined)).toEqual({ data: { me: { name: '1', unknown: null } } });
    expect(warmUpAnswer(schema, 'mutation { rename(name: "x") { name } }', undefined)).toEqual({ data: null });
  });
});

describe('createWarmUpResponder', () => {
  it('hands out a fresh copy per fetch, since the executor merges answers in place', () => {
    const answer = createWarmUpResponder(schema);
    const first = answer('{ me { name } }', undefined);
    (first.data as { me: { name: string } }).me.name = 'changed';
    expect(answer('{ me { name } }', undefined)).toEqual({ data: { me: { name: '1' } } });
  });
});
