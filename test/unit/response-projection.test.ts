/**
 * The response projection's own bounds: one operation with many `@skip`/`@include`
 * variables cannot make a client grow the compiled variants without limit, and every
 * variant still projects correctly.
 */
import { buildSchema, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { OperationProjection } from '../../shared/graphql/executor/response-projection';

const schema = buildSchema('type Query { a: Int b: Int c: Int d: Int e: Int f: Int g: Int }');
const FIELDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

describe('response projection', () => {
  it('keeps at most 32 compiled variants of an operation, and projects every combination right', () => {
    const document = parse(`query Q(${FIELDS.map((f) => `$${f}: Boolean!`).join(', ')}) { ${FIELDS.map((f) => `${f} @include(if: $${f})`).join(' ')} }`);
    const projection = new OperationProjection(schema, document.definitions[0] as OperationDefinitionNode, [] as FragmentDefinitionNode[]);
    const input = Object.fromEntries(FIELDS.map((f, i) => [f, i]));
    for (let mask = 0; mask < 2 ** FIELDS.length; mask++) {
      const variables = Object.fromEntries(FIELDS.map((f, i) => [f, (mask & (1 << i)) !== 0]));
      const { data } = projection.project(input, variables);
      expect(Object.keys(data ?? {})).toEqual(FIELDS.filter((_f, i) => (mask & (1 << i)) !== 0));
    }
    expect((projection as unknown as { variants: Map<string, unknown> }).variants.size).toBe(32);
  });
});
