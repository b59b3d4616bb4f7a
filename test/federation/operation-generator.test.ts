import fc from 'fast-check';
import { Kind, isAbstractType, parse, validate, type OperationDefinitionNode } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { composeFixture } from '../federation-fixtures/fixture';
import { FIXTURES } from '../federation-fixtures/fixtures';
import { operationArbitrary, type OperationFeature } from '../federation-fixtures/operation-generator';
import { datasetIds } from '../federation-fixtures/differential';

const SAMPLES = 1500;
const EVERY_FEATURE: readonly OperationFeature[] = [
  'alias', 'same-field-twice', 'typename', 'inline-fragment', 'inline-fragment-on-abstract', 'named-fragment',
  'named-fragment-on-abstract', 'fragment-reused', 'skip-include-literal', 'skip-include-variable',
  'argument-literal', 'argument-variable', 'variable-default', 'variable-omitted', 'explicit-null',
];

describe.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))('operations generated over %s', (_name, fixture) => {
  const { apiSchema } = composeFixture(fixture);
  const operations = fc.sample(operationArbitrary(apiSchema, { argumentValues: fixture.argumentValues, ids: datasetIds(fixture.dataset) }), { seed: 42, numRuns: SAMPLES });

  it('all pass graphql-js validation against the API schema', () => {
    const invalid = operations
      .map((operation) => ({ operation, errors: validate(apiSchema, parse(operation.document)) }))
      .filter(({ errors }) => errors.length > 0)
      .slice(0, 3)
      .map(({ operation, errors }) => `${operation.document}\n${JSON.stringify(operation.variables)}\n${errors.map((error) => error.message).join('\n')}`);
    expect(invalid).toEqual([]);
  });

  it('carry variable values that coerce to the declared types', () => {
    const invalid = operations
      .map((operation) => {
        const definition = parse(operation.document).definitions.find((node): node is OperationDefinitionNode => node.kind === Kind.OPERATION_DEFINITION)!;
        return { operation, coerced: getVariableValues(apiSchema, definition.variableDefinitions ?? [], operation.variables) };
      })
      .filter(({ coerced }) => coerced.errors !== undefined)
      .slice(0, 3)
      .map(({ operation, coerced }) => `${operation.document}\n${JSON.stringify(operation.variables)}\n${coerced.errors!.map((error) => error.message).join('\n')}`);
    expect(invalid).toEqual([]);
  });

  it('use every construct the generator knows', () => {
    const seen = new Set(operations.flatMap((operation) => [...operation.features]));
    const hasAbstractTypes = Object.values(apiSchema.getTypeMap()).some((type) => isAbstractType(type) && !type.name.startsWith('__'));
    const expected = EVERY_FEATURE.filter((feature) => hasAbstractTypes || !feature.endsWith('-on-abstract'));
    expect(expected.filter((feature) => !seen.has(feature))).toEqual([]);
  });

  it('are replayed exactly from the same seed', () => {
    const again = fc.sample(operationArbitrary(apiSchema, { argumentValues: fixture.argumentValues, ids: datasetIds(fixture.dataset) }), { seed: 42, numRuns: 20 });
    expect(again.map((operation) => operation.document)).toEqual(operations.slice(0, 20).map((operation) => operation.document));
  });
});
