/** Generator options for comparing Apollo Gateway with the oracle over one fixture. */
import type { Fixture } from './fixture';
import type { GraphqlBody } from './fault-differential';
import type { Fault } from './faults';
import type { OperationGeneratorOptions } from './operation-generator';

/**
 * The fixture's documented Apollo exclusions, plus the two Apollo deviations from the spec
 * that any fixture shows: repeated inline fragment conditions (reordered keys, see
 * `repeatFragmentConditions`) and selection sets whose every selection is skipped (null
 * instead of `{}`, see `allSkippableSelectionSets`).
 */
export function apolloVersusOracleGenerator(fixture: Fixture): OperationGeneratorOptions {
  return { repeatFragmentConditions: false, allSkippableSelectionSets: false, ...fixture.apolloGatewayExclusions };
}

/**
 * Apollo Gateway's one departure under subgraph faults that Portico does not copy: the path
 * of an error an entity fetch reports (`["_entities", i, ...]`). Apollo Gateway takes the
 * i-th of all the non-null entities at the fetch's path, counting the ones it sent no
 * representation for (they did not match the fetch's type conditions), so once one was
 * skipped it names the wrong entity (another's field, or one its type does not have).
 * Portico names the entity whose representation was i-th. Minimal reproduction, checked in
 * subgraph-faults-differential.test.ts: ENTITY_ERROR_PATH_REPRODUCTION.
 *
 * Admitted only when the two bodies differ in nothing but the paths of such errors: the
 * same data and extensions, the same errors once paths are left out, each differing error a
 * subgraph's, and Portico's path leading to a null in Portico's data (the field the error
 * nulled, or a null it propagated to), as the spec asks of an error's path.
 */
export function entityErrorPathException(apollo: GraphqlBody, portico: GraphqlBody): boolean {
  if (JSON.stringify(apollo.data) !== JSON.stringify(portico.data) || JSON.stringify(apollo.extensions) !== JSON.stringify(portico.extensions)) return false;
  const apolloOnly = multisetMinus(apollo.errors ?? [], portico.errors ?? []);
  const porticoOnly = multisetMinus(portico.errors ?? [], apollo.errors ?? []);
  if (porticoOnly.length === 0 || apolloOnly.length !== porticoOnly.length) return false;
  const withoutPath = (errors: GraphqlError[]) => errors.map(({ path: _path, ...rest }) => JSON.stringify(rest)).sort();
  if (JSON.stringify(withoutPath(apolloOnly)) !== JSON.stringify(withoutPath(porticoOnly))) return false;
  return porticoOnly.every((error) => typeof error.extensions?.subgraph === 'string' && error.path !== undefined && leadsToNull(portico.data, error.path));
}

/**
 * `{ library { id ... on Movie { rating } } }` over media-abstract (library: Book b1, Movie
 * m1, Book b2, Movie m2) with reviews answering HTTP 500: the reviews fetch gets the two
 * Movies' representations and fails, so `_entities.0.rating` and `_entities.1.rating` are
 * null. Apollo Gateway names `library.0` and `library.1` (a Book, then the first Movie);
 * Portico names `library.1` and `library.3`, the Movies.
 */
export const ENTITY_ERROR_PATH_REPRODUCTION = {
  document: '{ library { id ... on Movie { rating } } }',
  faults: [{ subgraph: 'reviews', kind: 'http-500-text', every: true, salt: 0 }] as Fault[],
  apolloPaths: [['library', 0, 'rating'], ['library', 1, 'rating']],
  porticoPaths: [['library', 1, 'rating'], ['library', 3, 'rating']],
  data: { library: [{ id: 'b1' }, { id: 'm1', rating: null }, { id: 'b2' }, { id: 'm2', rating: null }] },
};

type GraphqlError = NonNullable<GraphqlBody['errors']>[number];

function multisetMinus(from: readonly GraphqlError[], minus: readonly GraphqlError[]): GraphqlError[] {
  const left = new Map<string, number>();
  for (const error of minus) left.set(JSON.stringify(error), (left.get(JSON.stringify(error)) ?? 0) + 1);
  return from.filter((error) => {
    const key = JSON.stringify(error);
    const count = left.get(key) ?? 0;
    if (count === 0) return true;
    left.set(key, count - 1);
    return false;
  });
}

/** Whether `path` in `data` reaches a null: the value itself, or an ancestor a non-null field's null propagated to. */
export function leadsToNull(data: unknown, path: ReadonlyArray<string | number>): boolean {
  let value = data;
  for (const key of path) {
    if (value === null) return true;
    if (typeof value !== 'object' || value === undefined || !Object.hasOwn(value, key)) return false;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value === null;
}
