/**
 * Attacks carried by the GraphQL document itself, sent by a caller with a valid token:
 * fragment bombs, deep nesting through fragments, alias and field duplication, directive
 * floods, token floods, introspection bombs. Each is refused with 400 and its code, on
 * every path a document can take (POST, GET, automatic persisted queries, mobile), before
 * anything reaches a subgraph; an ordinary query sent alongside still succeeds.
 */
import { deepThroughFragments, fragmentDoubling } from '../helpers/attack-documents';
import { createHash } from 'node:crypto';
import { startMobileBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql, type HttpResult } from '../helpers/http';
import { upstreamCallCount } from '../helpers/metrics';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner } from '../helpers/tokens';

let subgraphs: RunningSubgraphs;
let web: RunningBff;
let mobile: RunningBff;
let auth: Record<string, string>;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  const signer = await createTestSigner();
  auth = { authorization: `Bearer ${await signer.mint({ sub: '1' })}` };
  const policies = { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } };
  web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies });
  mobile = await startMobileBff({ graphql: { subgraphUrls: subgraphs.urls }, policies });
});

afterAll(async () => {
  await web?.close();
  await mobile?.close();
  await subgraphs?.close();
});


function deepThroughInlineFragments(levels: number): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++) inner = `... on User { reviews { ... on Review { author { ${inner} } } } }`;
  return `{ me { ${inner} } }`;
}

const ATTACKS: Array<[string, string, string]> = [
  ['a fragment bomb at the root (24 levels, under 1 KB)', fragmentDoubling(24, '{ ...F0 }', 'Query', 'me { id }'), 'TOO_MANY_ROOT_FIELDS'],
  ['a fragment bomb under a field (40 levels)', fragmentDoubling(40, '{ me { ...F0 } }', 'User', 'id'), 'OPERATION_TOO_COSTLY'],
  ['a fragment bomb of aliases', fragmentDoubling(20, '{ me { ...F0 } }', 'User', 'a: id'), 'TOO_MANY_ALIASES'],
  ['deep nesting through named fragments', deepThroughFragments(10), 'OPERATION_TOO_DEEP'],
  ['deep nesting through inline fragments', deepThroughInlineFragments(8), 'OPERATION_TOO_DEEP'],
  ['alias duplication', `{ me { ${Array.from({ length: 200 }, (_, i) => `a${i}: id`).join(' ')} } }`, 'TOO_MANY_ALIASES'],
  ['field duplication fanning out', `{ me { ${'reviews { id body } '.repeat(380)} } }`, 'OPERATION_TOO_COSTLY'],
  ['a directive flood', `{ me { id ${'@include(if: true) '.repeat(100)} } }`, 'TOO_MANY_DIRECTIVES'],
  ['a token flood', `{ me { ${'id '.repeat(3_000)} } }`, 'GRAPHQL_PARSE_FAILED'],
  ['an introspection bomb', `{ __type(name: "User") { fields { type { ${'ofType { '.repeat(20)} name ${'} '.repeat(20)} } } } }`, 'OPERATION_TOO_DEEP'],
];

async function assertRefusedWhileOthersServed(bff: RunningBff, send: () => Promise<HttpResult>, code: string): Promise<void> {
  const callsBefore = await upstreamCallCount(bff.app as never);
  const [attack, ordinary] = await Promise.all([send(), postGraphql(bff.url, '{ me { id } }', undefined, auth)]);
  expect({ status: attack.status, code: attack.json?.errors?.[0]?.extensions?.code, errors: attack.json?.errors?.length }).toEqual({ status: 400, code, errors: 1 });
  expect(ordinary.json).toEqual({ data: { me: { id: '1' } } });
  // Only the ordinary query reached a subgraph.
  expect((await upstreamCallCount(bff.app as never)) - callsBefore).toBe(1);
}

describe.each([
  ['web', () => web],
  ['mobile', () => mobile],
])('%s refuses document attacks by POST', (_name, bff) => {
  it.each(ATTACKS)('%s', async (_attack, query, code) => {
    await assertRefusedWhileOthersServed(bff(), () => postGraphql(bff().url, query, undefined, auth), code);
  });
});

describe('every path a document can take', () => {
  const bomb = fragmentDoubling(24, '{ ...F0 }', 'Query', 'me { id }');

  it('GET', async () => {
    await assertRefusedWhileOthersServed(web, () => http(`${web.url}/graphql?query=${encodeURIComponent(bomb)}`, { headers: { ...auth, 'apollo-require-preflight': '1' } }), 'TOO_MANY_ROOT_FIELDS');
  });

  it('automatic persisted queries: registering the bomb, then sending its hash', async () => {
    const sha256Hash = createHash('sha256').update(bomb).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    await assertRefusedWhileOthersServed(
      web,
      () => http(`${web.url}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ query: bomb, extensions }) }),
      'TOO_MANY_ROOT_FIELDS',
    );
    const byHash = await http(`${web.url}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ extensions }) });
    expect(byHash.json.errors[0].extensions.code).toMatch(/^(TOO_MANY_ROOT_FIELDS|PERSISTED_QUERY_NOT_FOUND)$/);
    expect(byHash.json.data).toBeUndefined();
  });

  it('the same attack sent twice (served from the validated-document cache the second time)', async () => {
    for (let i = 0; i < 2; i++) await assertRefusedWhileOthersServed(mobile, () => postGraphql(mobile.url, bomb, undefined, auth), 'TOO_MANY_ROOT_FIELDS');
  });
});
