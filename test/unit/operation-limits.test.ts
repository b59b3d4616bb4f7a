import { Kind, buildSchema, getIntrospectionQuery, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_OPERATION_LIMITS, STANDARD_INTROSPECTION_DEPTH, checkOperationLimits, measureOperation } from '../../shared/graphql/operation-limits';

const schema = buildSchema(`
  type Query { users(first: Int): [User!]! me: User topProducts(first: Int = 5): [Product!] }
  type User { id: ID! name: String reviews: [Review!]! }
  type Review { id: ID! body: String product: Product! }
  type Product { upc: String! name: String reviews: [Review!]! }
`);

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return measureOperation(schema, operation, fragments, variables, 20);
}

describe('operation measurements', () => {
  it('counts depth from the root and ignores __typename', () => {
    expect(measure('{ me { name __typename } }').depth).toBe(2);
    expect(measure('{ users(first: 1) { reviews { product { reviews { id } } } } }').depth).toBe(5);
  });

  it('multiplies list costs by first/limit, from literals or variables, else the assumed size', () => {
    // users(10): 1 + 10 x (reviews: 1 + 20 x (product: 1)) = 1 + 10 x 21 = 211
    expect(measure('{ users(first: 10) { name reviews { product { name } } } }').cost).toBe(211);
    expect(measure('query($n: Int) { users(first: $n) { name reviews { id } } }', { n: 2 }).cost).toBe(1 + 2 * (1 + 20 * 0));
    expect(measure('{ me { name } }').cost).toBe(1);
  });

  it('counts aliases, root fields through fragments, and directives per field', () => {
    const m = measure('query { a: me { id } b: me { id } ...F } fragment F on Query { c: me { id @include(if: true) @skip(if: false) } }');
    expect(m).toMatchObject({ aliases: 3, rootFields: 3, maxDirectivesOnField: 2 });
  });

  it('terminates on fragment cycles (which validation rejects anyway)', () => {
    const m = measure('{ me { ...A } } fragment A on User { reviews { product { reviews { ...B } } } } fragment B on Review { product { reviews { ...A2 } } } fragment A2 on Review { id }');
    expect(m.depth).toBeGreaterThan(0);
    expect(() => measure('{ me { ...A } } fragment A on User { reviews { ...B } } fragment B on Review { product { ...C } } fragment C on Product { reviews { ...B } }')).not.toThrow();
  });
});

describe('introspection depth', () => {
  const ALL_OPTIONS = { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true };

  it.each([
    ['the default options', {}],
    ['every option on', ALL_OPTIONS],
  ])('measures the standard introspection query (%s) as introspection, not as field depth', (_name, options) => {
    const m = measure(getIntrospectionQuery(options));
    expect(m.depth).toBe(0);
    expect(m.introspectionDepth).toBe(15);
    expect(checkOperationLimits(m, { ...DEFAULT_OPERATION_LIMITS, maxDepth: 3 })).toEqual([]);
  });

  it('refuses ofType nesting deeper than the standard query needs', () => {
    let typeRef = 'name';
    for (let i = 0; i < 20; i++) typeRef = `name ofType { ${typeRef} }`;
    const m = measure(`{ __type(name: "User") { fields { type { ${typeRef} } } } }`);
    expect(m.introspectionDepth).toBeGreaterThan(STANDARD_INTROSPECTION_DEPTH);
    expect(checkOperationLimits(m, DEFAULT_OPERATION_LIMITS).map((v) => v.code)).toEqual(['OPERATION_TOO_DEEP']);
  });

  it('keeps ordinary fields beside introspection under the normal depth limit', () => {
    const m = measure('{ __schema { queryType { name } } users(first: 1) { reviews { product { reviews { id } } } } }');
    expect(m).toMatchObject({ depth: 5, introspectionDepth: 3 });
    expect(checkOperationLimits(m, { ...DEFAULT_OPERATION_LIMITS, maxDepth: 4 }).map((v) => v.code)).toEqual(['OPERATION_TOO_DEEP']);
  });
});

describe('operation limit checks', () => {
  it('names each exceeded limit with the value and the limit', () => {
    const violations = checkOperationLimits({ depth: 13, introspectionDepth: 0, aliases: 31, rootFields: 21, maxDirectivesOnField: 5, cost: 10_001 }, DEFAULT_OPERATION_LIMITS);
    expect(violations.map((v) => v.code)).toEqual(['OPERATION_TOO_DEEP', 'TOO_MANY_ALIASES', 'TOO_MANY_ROOT_FIELDS', 'TOO_MANY_DIRECTIVES', 'OPERATION_TOO_COSTLY']);
    expect(violations[4]?.message).toBe("The operation's estimated cost is 10001; the limit is 10000.");
  });

  it('lets operations at the limits pass', () => {
    expect(checkOperationLimits({ depth: 12, introspectionDepth: STANDARD_INTROSPECTION_DEPTH, aliases: 30, rootFields: 20, maxDirectivesOnField: 4, cost: 10_000 }, DEFAULT_OPERATION_LIMITS)).toEqual([]);
  });
});
