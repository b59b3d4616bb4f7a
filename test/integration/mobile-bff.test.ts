/**
 * The mobile BFF over the real subgraphs: its contract hides tagged fields (in queries and
 * in introspection), trusted documents by id (and nothing else in production), the home
 * screen in one round trip, compressed, with ETag/304 on GET.
 */
import { readFileSync } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import { parse, specifiedRules, validate, buildSchema } from 'graphql';
import { request } from 'undici';
import { MOBILE_OPERATIONS_DIR, MOBILE_TRUSTED_DOCUMENTS, mobileManifest } from '../../bffs/mobile/manifest';
import { buildTrustedDocumentsManifest, loadTrustedDocuments } from '../../shared/graphql/trusted-documents';
import { CONTRACTS } from '../../supergraph/contracts';
import { startMobileBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { metricValue } from '../helpers/metrics';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';

const documents = loadTrustedDocuments(MOBILE_TRUSTED_DOCUMENTS);
const idOf = (name: string) => [...documents.values()].find((d) => d.name === name)?.id as string;

let subgraphs: RunningSubgraphs;
let identity: TestIdentity;
let mobile: RunningBff;
let production: RunningBff;
/** The app's signed-in user (user 1): their own orders are theirs to read. */
let me: Record<string, string> = {};

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  identity = await createTestIdentity();
  me = await identity.user();
  mobile = await startMobileBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: identity.policies });
  production = await startMobileBff({
    graphql: { subgraphUrls: subgraphs.urls, production: true, introspection: false, trustedDocuments: { manifestPath: MOBILE_TRUSTED_DOCUMENTS, requireTrusted: true } },
    policies: identity.policies,
  });
});

afterAll(async () => {
  await mobile?.close();
  await production?.close();
  await subgraphs?.close();
});

function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return http(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...me, ...headers }, body: JSON.stringify(body) });
}

describe('mobile contract', () => {
  it('refuses a hidden field as if it did not exist, while web still serves it', async () => {
    const res = await postGraphql(mobile.url, '{ me { name email } }', undefined, me);
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([expect.objectContaining({ message: 'Cannot query field "email" on type "User".', extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })]);
    const web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: identity.policies });
    try {
      expect((await postGraphql(web.url, '{ me { email } }', undefined, me)).json.data.me.email).toMatch(/@example\.com$/);
    } finally {
      await web.close();
    }
  });

  it('hides tagged root fields and describes only the contract in introspection', async () => {
    expect((await postGraphql(mobile.url, '{ users { id } }', undefined, me)).json.errors[0].message).toMatch(/^Cannot query field "users" on type "Query"\./);
    const res = await postGraphql(mobile.url, '{ user: __type(name: "User") { fields { name } } product: __type(name: "Product") { fields { name } } query: __schema { queryType { fields { name } } } }', undefined, me);
    const userFields = res.json.data.user.fields.map((f: { name: string }) => f.name);
    expect(userFields).toEqual(expect.arrayContaining(['id', 'username', 'name', 'reviews', 'orders']));
    expect(userFields).not.toContain('email');
    expect(userFields).not.toContain('createdAt');
    expect(res.json.data.product.fields.map((f: { name: string }) => f.name)).not.toContain('description');
    expect(res.json.data.query.queryType.fields.map((f: { name: string }) => f.name)).not.toEqual(expect.arrayContaining(['users']));
  });

  it('serves the contract file the composition writes', () => {
    expect(mobileManifest.routes.contract?.schemaPath).toBe((CONTRACTS.mobile as { file: string }).file);
  });

  it('every trusted document is valid against the contract, and the manifest is current', () => {
    const contract = buildSchema(readFileSync((CONTRACTS.mobile as { file: string }).file, 'utf8'));
    for (const doc of documents.values()) expect({ name: doc.name, errors: validate(contract, parse(doc.body), specifiedRules).map((e) => e.message) }).toEqual({ name: doc.name, errors: [] });
    expect(JSON.parse(readFileSync(MOBILE_TRUSTED_DOCUMENTS, 'utf8'))).toEqual(buildTrustedDocumentsManifest(MOBILE_OPERATIONS_DIR));
  });
});

describe('trusted documents', () => {
  it('run by id, by documentId and by the persisted-query hash', async () => {
    const byId = await postJson(mobile.url, { id: idOf('ProductDetail'), variables: { upc: '3' } });
    expect(byId.json.data.product).toMatchObject({ upc: '3', reviews: expect.any(Array) });
    const byDocumentId = await postJson(production.url, { documentId: `sha256:${idOf('ProductDetail')}`, variables: { upc: '3' } });
    expect(byDocumentId.json).toEqual(byId.json);
    const byHash = await postJson(production.url, { variables: { upc: '3' }, extensions: { persistedQuery: { version: 1, sha256Hash: idOf('ProductDetail') } } });
    expect(byHash.json).toEqual(byId.json);
  });

  it('accept any valid document in development but only trusted ones in production', async () => {
    expect((await postGraphql(mobile.url, '{ me { name } }', undefined, me)).json.data.me.name).toEqual(expect.any(String));
    const refused = await postGraphql(production.url, '{ me { name } }', undefined, me);
    expect(refused.status).toBe(400);
    expect(refused.json.errors[0].extensions).toMatchObject({ code: 'PERSISTED_QUERY_NOT_TRUSTED', requestId: expect.any(String) });
    const trustedText = [...documents.values()].find((d) => d.name === 'OrderHistory')?.body as string;
    expect((await postJson(production.url, { query: trustedText })).json.data.me.orders).toEqual(expect.any(Array));
  });

  it('answer an unknown id with 400, never 500', async () => {
    for (const body of [{ id: 'f'.repeat(64) }, { documentId: `sha256:${'e'.repeat(64)}` }, { extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } }]) {
      const res = await postJson(production.url, body);
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
    }
  });

  it('are counted per app version by operation, through both pipelines, and refusals under their code', async () => {
    const app = { 'apollographql-client-name': 'metrics-app', 'apollographql-client-version': '7.0.0' };
    for (let i = 0; i < 2; i++) expect((await postJson(production.url, { id: idOf('HomeScreen') }, app)).status).toBe(200);
    expect((await postJson(production.url, { id: 'd'.repeat(64) }, app)).status).toBe(400);
    const text = (await http(`${production.url}/metrics`)).text;
    const labels = { bff: 'mobile', client_name: 'metrics-app', client_version: '7.0.0' };
    expect(metricValue(text, 'portico_graphql_operation_requests_total', { ...labels, operation: 'HomeScreen' })).toBe(2);
    expect(metricValue(text, 'portico_graphql_operation_errors_total', { ...labels, operation: 'HomeScreen' })).toBeUndefined();
    expect(metricValue(text, 'portico_graphql_operation_errors_total', { ...labels, operation: '__unresolved', code: 'PERSISTED_DOCUMENT_NOT_FOUND' })).toBe(1);
  });

  it('answer a malformed id with 400 PERSISTED_DOCUMENT_ID_INVALID before any lookup', async () => {
    for (const body of [{ documentId: 12 }, { id: 'x'.repeat(129) }, { documentId: 'sha256:abc' }, { doc_id: 'a b' }, { extensions: { persistedQuery: { version: 1, sha256Hash: ['x'] } } }]) {
      const res = await postJson(production.url, body);
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions.code).toBe('PERSISTED_DOCUMENT_ID_INVALID');
    }
  });

  it('work over GET with ETag and 304', async () => {
    const url = `${production.url}/graphql?id=${idOf('HomeScreen')}`;
    const first = await http(url, { headers: { ...me, 'apollo-require-preflight': 'true' } });
    expect(first.status).toBe(200);
    expect(first.json.data.me.orders.length).toBeGreaterThan(0);
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await http(url, { headers: { ...me, 'apollo-require-preflight': 'true', 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });
});

describe('home screen payload', () => {
  it('fans out to several subgraphs in one round trip and comes compressed, without extensions', async () => {
    const body = JSON.stringify({ id: idOf('HomeScreen'), variables: { recentOrders: 5, recommended: 10 } });
    const plain = await request(`${mobile.url}/graphql`, { method: 'POST', headers: { ...me, 'content-type': 'application/json' }, body });
    const plainBytes = Buffer.from(await plain.body.arrayBuffer());
    const br = await request(`${mobile.url}/graphql`, { method: 'POST', headers: { ...me, 'content-type': 'application/json', 'accept-encoding': 'br' }, body });
    expect(br.headers['content-encoding']).toBe('br');
    const compressed = Buffer.from(await br.body.arrayBuffer());
    const json = JSON.parse(brotliDecompressSync(compressed).toString('utf8'));
    expect(json).toEqual(JSON.parse(plainBytes.toString('utf8')));
    expect(json.extensions).toBeUndefined();
    expect(json.data.me.orders[0].items[0].product.imageUrl).toMatch(/^https:\/\//);
    // The trusted document is the text Apollo Client sends, `__typename` included.
    expect(json.data.topProducts[0]).toEqual({ __typename: 'Product', upc: '1', name: expect.any(String), price: expect.any(Number), imageUrl: expect.any(String), inStock: expect.any(Boolean), shippingEstimate: expect.any(Number) });
    expect(compressed.length).toBeLessThan(plainBytes.length / 2);
    process.stdout.write(`home screen payload: ${plainBytes.length} bytes plain, ${compressed.length} bytes brotli\n`);
  });
});
