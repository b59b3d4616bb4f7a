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

  it('counts every field, multiplying list contents by first/limit from literals or variables, else the assumed size', () => {
    // users(10): 1 + 10 x (name 1 + reviews: 1 + 20 x (product: 1 + name 1)) = 1 + 10 x 42 = 421
    expect(measure('{ users(first: 10) { name reviews { product { name } } } }').cost).toBe(421);
    // users(2): 1 + 2 x (name 1 + reviews: 1 + 20 x id 1) = 1 + 2 x 22 = 45
    expect(measure('query($n: Int) { users(first: $n) { name reviews { id } } }', { n: 2 }).cost).toBe(45);
    expect(measure('{ me { name } }').cost).toBe(2);
    expect(measure('{ me { __typename } }').cost).toBe(1);
  });

  it("takes list sizes from a variable's default and the argument's schema default", () => {
    // $n defaults to 100: users(100) x (id) = 1 + 100 = 101
    expect(measure('query($n: Int = 100) { users(first: $n) { id } }').cost).toBe(101);
    expect(measure('query($n: Int = 100) { users(first: $n) { id } }', { n: 3 }).cost).toBe(4);
    // topProducts(first: Int = 5) in the schema: 1 + 5 x (upc) = 6
    expect(measure('{ topProducts { upc } }').cost).toBe(6);
  });

  it('counts aliases, root fields through fragments, and directives per field', () => {
    const m = measure('query { a: me { id } b: me { id } ...F } fragment F on Query { c: me { id @include(if: true) @skip(if: false) } }');
    expect(m).toMatchObject({ aliases: 3, rootFields: 3, maxDirectivesOnField: 2 });
  });

  it('measures a fragment bomb by arithmetic, visiting each selection once', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 copies of `id` once expanded.
    let doc = '{ me { ...F0 } }';
    for (let i = 0; i < 40; i++) doc += ` fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`;
    doc += ' fragment F40 on User { id }';
    const m = measure(doc);
    expect(m.cost).toBe(1 + 2 ** 40);
    expect(m.visited).toBe(1 + 1 + 40 * 2 + 1);
    expect(checkOperationLimits(m, DEFAULT_OPERATION_LIMITS).map((v) => v.code)).toEqual(['OPERATION_TOO_COSTLY']);
    // The same at the root: root fields and aliases multiply out too.
    let root = '{ ...R0 }';
    for (let i = 0; i < 30; i++) root += ` fragment R${i} on Query { ...R${i + 1} ...R${i + 1} }`;
    root += ' fragment R30 on Query { a: me { id } }';
    expect(measure(root)).toMatchObject({ rootFields: 2 ** 30, aliases: 2 ** 30 });
  });

  it('notes a directive repeated on one location', () => {
    expect(measure('{ me @include(if: true) @include(if: true) { id } }').repeatedDirective).toBe('include');
    expect(measure('{ me { ... @skip(if: false) @skip(if: false) { id } } }').repeatedDirective).toBe('skip');
    expect(measure('{ me @include(if: true) @skip(if: false) { id } }').repeatedDirective).toBeUndefined();
    const flood = measure(`{ me { id ${'@x '.repeat(1000)} } }`);
    expect(checkOperationLimits(flood, DEFAULT_OPERATION_LIMITS).map((v) => v.code)).toEqual(['TOO_MANY_DIRECTIVES', 'TOO_MANY_DIRECTIVES']);
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
    const violations = checkOperationLimits({ visited: 1, depth: 13, introspectionDepth: 0, aliases: 31, rootFields: 21, maxDirectivesOnField: 5, cost: 10_001 }, DEFAULT_OPERATION_LIMITS);
    expect(violations.map((v) => v.code)).toEqual(['OPERATION_TOO_DEEP', 'TOO_MANY_ALIASES', 'TOO_MANY_ROOT_FIELDS', 'TOO_MANY_DIRECTIVES', 'OPERATION_TOO_COSTLY']);
    expect(violations[4]?.message).toBe("The operation's estimated cost is 10001; the limit is 10000.");
  });

  it('lets operations at the limits pass', () => {
    expect(checkOperationLimits({ visited: 1, depth: 12, introspectionDepth: STANDARD_INTROSPECTION_DEPTH, aliases: 30, rootFields: 20, maxDirectivesOnField: 4, cost: 10_000 }, DEFAULT_OPERATION_LIMITS)).toEqual([]);
  });
});
