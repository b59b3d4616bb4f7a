/**
 * Schema tooling (GraphiQL, Sandbox, codegen, IDE plugins) sends graphql-js's standard
 * introspection query, 15 levels deep. Where introspection is on, web (depth limit 12) and
 * mobile (8) answer it whatever their depth limit, while nesting deeper than it needs, or
 * ordinary fields beside it beyond the limit, stay refused.
 */
import { getIntrospectionQuery } from 'graphql';
import { startMobileBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

let subgraphs: RunningSubgraphs;
let web: RunningBff;
let mobile: RunningBff;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls } });
  mobile = await startMobileBff({ graphql: { subgraphUrls: subgraphs.urls } });
});

afterAll(async () => {
  await web?.close();
  await mobile?.close();
  await subgraphs?.close();
});

const STANDARD_QUERIES: Array<[string, string]> = [
  ['default options', getIntrospectionQuery()],
  ['every tooling option', getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true })],
];

function deepTypeRef(levels: number): string {
  let selection = 'name';
  for (let i = 0; i < levels; i++) selection = `name ofType { ${selection} }`;
  return selection;
}

describe.each([
  ['web', () => web],
  ['mobile', () => mobile],
])('%s introspection', (_name, bff) => {
  it.each(STANDARD_QUERIES)('answers the standard introspection query (%s)', async (_options, query) => {
    const res = await postGraphql(bff().url, query);
    expect(res.json.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.json.data.__schema.queryType.name).toBe('Query');
    expect(res.json.data.__schema.types.length).toBeGreaterThan(10);
  });

  it('refuses ofType nesting beyond what the standard query needs', async () => {
    const res = await postGraphql(bff().url, `{ __type(name: "Product") { fields { type { ${deepTypeRef(20)} } } } }`);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('OPERATION_TOO_DEEP');
  });

  it('keeps ordinary fields beside introspection under the depth limit', async () => {
    let inner = 'upc';
    for (let i = 0; i < 6; i++) inner = `reviews { product { ${inner} } }`;
    const res = await postGraphql(bff().url, `{ __schema { queryType { name } } topProducts(first: 1) { ${inner} } }`);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('OPERATION_TOO_DEEP');
  });
});
