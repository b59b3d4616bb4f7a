/**
 * The errors of a failed subgraph fetch: one per field the fetch would have filled, with the
 * subgraph-relative path Apollo Gateway completes to the client's response.
 */
import { DEFAULT_MAX_FIELD_ERRORS_PER_FETCH, failedFetchErrors, fetchShape } from '../../shared/graphql/failed-fetch-errors';

const ERROR = { message: "Upstream 'inventory' could not be reached.", extensions: { code: 'UPSTREAM_UNAVAILABLE', subgraph: 'inventory' } };

describe('fetchShape', () => {
  it('lists the root fields of a root fetch by response key, without __typename', () => {
    expect(fetchShape('query Q__products__0 { topProducts(first: 2) { __typename upc name } other: product(upc: "1") { upc } __typename }')).toEqual({ kind: 'root', fields: ['topProducts', 'other'] });
  });

  it('lists the fields of an entity fetch per type condition, through named fragments', () => {
    const shape = fetchShape(
      'query Q($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Product { inStock ...Stock } ... on User { reviews { body } } } } fragment Stock on Product { shippingEstimate }',
    );
    expect(shape).toEqual({ kind: 'entities', byType: new Map([['Product', ['inStock', 'shippingEstimate']], ['User', ['reviews']]]), anyType: [] });
  });
});

describe('failedFetchErrors', () => {
  it('gives one error per root field', () => {
    expect(failedFetchErrors({ kind: 'root', fields: ['me', 'topProducts'] }, {}, ERROR)).toEqual([
      { ...ERROR, path: ['me'] },
      { ...ERROR, path: ['topProducts'] },
    ]);
  });

  it('gives one error per field of each representation, by its type', () => {
    const shape = { kind: 'entities' as const, byType: new Map([['Product', ['inStock', 'shippingEstimate']], ['User', ['reviews']]]), anyType: [] };
    const representations = [{ __typename: 'Product', upc: '1' }, { __typename: 'User', id: '3' }, { __typename: 'Product', upc: '2' }];
    expect(failedFetchErrors(shape, { representations }, ERROR).map((e) => e.path)).toEqual([
      ['_entities', 0, 'inStock'],
      ['_entities', 0, 'shippingEstimate'],
      ['_entities', 1, 'reviews'],
      ['_entities', 2, 'inStock'],
      ['_entities', 2, 'shippingEstimate'],
    ]);
  });

  it('falls back to one error without a path when no field is known', () => {
    expect(failedFetchErrors({ kind: 'root', fields: [] }, undefined, ERROR)).toEqual([ERROR]);
    expect(failedFetchErrors({ kind: 'entities', byType: new Map(), anyType: [] }, { representations: [{ __typename: 'Product' }] }, ERROR)).toEqual([ERROR]);
  });

  it('gives at most the cap of errors with a path, then one error without a path counting the rest', () => {
    const shape = { kind: 'entities' as const, byType: new Map([['Product', ['inStock', 'shippingEstimate']]]), anyType: ['upc'] };
    const representations = Array.from({ length: 4 }, (_, i) => ({ __typename: 'Product', upc: String(i) }));
    // Twelve paths (four products, three fields each), a cap of five.
    const errors = failedFetchErrors(shape, { representations }, ERROR, 5);
    expect(errors.slice(0, 5).map((e) => e.path)).toEqual([
      ['_entities', 0, 'upc'],
      ['_entities', 0, 'inStock'],
      ['_entities', 0, 'shippingEstimate'],
      ['_entities', 1, 'upc'],
      ['_entities', 1, 'inStock'],
    ]);
    expect(errors).toHaveLength(6);
    expect(errors[5]).toEqual({ message: expect.stringContaining('7 more fields'), extensions: { ...ERROR.extensions, omittedPaths: 7 } });
    expect(errors[5]).not.toHaveProperty('path');
  });

  it('caps root fields too, and adds no summary at or under the cap', () => {
    expect(failedFetchErrors({ kind: 'root', fields: ['a', 'b', 'c'] }, {}, ERROR, 2)).toEqual([
      { ...ERROR, path: ['a'] },
      { ...ERROR, path: ['b'] },
      { message: expect.stringContaining('1 more field '), extensions: { ...ERROR.extensions, omittedPaths: 1 } },
    ]);
    expect(failedFetchErrors({ kind: 'root', fields: ['a', 'b'] }, {}, ERROR, 2)).toHaveLength(2);
  });

  it('answers a fetch for thousands of entities with the default cap plus one error', () => {
    const shape = fetchShape('query Q($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { inStock shippingEstimate } } }');
    const representations = Array.from({ length: 5_000 }, (_, i) => ({ __typename: 'Product', upc: String(i) }));
    const errors = failedFetchErrors(shape, { representations }, ERROR);
    expect(errors).toHaveLength(DEFAULT_MAX_FIELD_ERRORS_PER_FETCH + 1);
    expect(errors.at(-1)?.extensions).toEqual({ ...ERROR.extensions, omittedPaths: 10_000 - DEFAULT_MAX_FIELD_ERRORS_PER_FETCH });
  });

  it('names no field a @skip or @include left out of the subgraph operation: the client answer has no such field', () => {
    // The planner forwards the client's conditions; a failed fetch leaves out of the answer what the subgraph would have skipped.
    const entities = fetchShape(
      'query Q($representations: [_Any!]!, $a: Boolean!, $b: Boolean = true) { _entities(representations: $representations) { ... on Book @skip(if: $a) { reviews rating @include(if: $b) } ... on Book { genre rating } ... on Movie { cast @include(if: false) runtime @skip(if: false) } } }',
    );
    const representations = [{ __typename: 'Book', id: 'b1' }, { __typename: 'Movie', id: 'm1' }];
    const paths = (variables: Record<string, unknown>) => failedFetchErrors(entities, { representations, ...variables }, ERROR).map((e) => e.path);
    expect(paths({ a: true })).toEqual([
      ['_entities', 0, 'rating'],
      ['_entities', 0, 'genre'],
      ['_entities', 1, 'runtime'],
    ]);
    expect(paths({ a: false, b: false })).toEqual([
      ['_entities', 0, 'reviews'],
      ['_entities', 0, 'rating'],
      ['_entities', 0, 'genre'],
      ['_entities', 1, 'runtime'],
    ]);
    const root = fetchShape('query Q($a: Boolean!) { me @include(if: $a) { id } ...Top @skip(if: $a) } fragment Top on Query { top { id } }');
    expect(failedFetchErrors(root, { a: true }, ERROR).map((e) => e.path)).toEqual([['me']]);
    expect(failedFetchErrors(root, { a: false }, ERROR).map((e) => e.path)).toEqual([['top']]);
  });
});
