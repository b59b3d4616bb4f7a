/**
 * Shipping a mobile app against the mobile BFF with the real client toolchains: Apollo's
 * manifest generator writes the manifest from the mobile operations, `operations:import`
 * stores it for `ios 5.2.0`, and Apollo Client (persisted-query link fed by that manifest)
 * runs against the BFF in trusted mode over POST and GET. Relay's `doc_id` and the
 * `documentId: "sha256:…"` convention run from their own clients' manifests; ids of another
 * client, unknown ids and a manifest that fails the import are refused with their codes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloClient, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';
import { MOBILE_OPERATIONS_DIR, MOBILE_TRUSTED_DOCUMENTS, mobileManifest } from '../../bffs/mobile/manifest';
import { importClientManifest, type ImportRequest } from '../../bffs/dev/import-operations';
import { DEFAULT_OPERATION_LIMITS } from '../../shared/graphql/operation-limits';
import { DEFAULT_MANIFEST_LIMITS } from '../../shared/graphql/trusted-document-manifests';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { startMobileBff, type RunningBff } from '../helpers/bffs';
import { metricValue } from '../helpers/metrics';
import { http } from '../helpers/http';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

const ROOT = path.resolve(__dirname, '../..');
const GENERATOR = path.join(ROOT, 'node_modules/@apollo/generate-persisted-query-manifest/cli.js');

interface ApolloManifest {
  format: string;
  operations: Array<{ id: string; name: string; type: string; body: string }>;
}

function run(args: string[], timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

let work: string;
let clientManifests: string;
let apolloManifest: ApolloManifest;
let subgraphs: RunningSubgraphs;
let identity: TestIdentity;
let me: Record<string, string>;
let mobile: RunningBff;

/** Android's app, built with GraphQL Code Generator's client preset: `persisted-documents.json`, sha256 keys. */
const ANDROID_PROFILE = 'query AndroidProfile { me { id name __typename } }';
/** A Relay app: relay-compiler's `persisted_queries.json`, md5 ids. */
const RELAY_ORDERS = 'query RelayOrders($first: Int) { me { id orders(first: $first) { id status } } }';

function importRequest(file: string, client: string, version: string): ImportRequest {
  return {
    file,
    client,
    version,
    dir: clientManifests,
    supergraphSdl: readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8'),
    contract: 'mobile',
    limits: { ...DEFAULT_OPERATION_LIMITS, ...mobileManifest.routes.limits },
    manifestLimits: DEFAULT_MANIFEST_LIMITS,
  };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'portico-client-manifests-'));
  clientManifests = path.join(work, 'client-manifests');
  // Apollo's own generator over the mobile operations, as a mobile team's build runs it.
  const config = path.join(work, 'persisted-query-manifest.config.json');
  writeFileSync(config, JSON.stringify({ documents: [path.relative(ROOT, path.join(MOBILE_OPERATIONS_DIR, '*.graphql'))], output: path.join(work, 'persisted-query-manifest.json') }));
  const generated = await run([GENERATOR, '--config', config]);
  if (generated.code !== 0) throw new Error(`generate-persisted-query-manifest failed: ${generated.stderr}`);
  apolloManifest = JSON.parse(readFileSync(path.join(work, 'persisted-query-manifest.json'), 'utf8'));

  const imported = await run(['--import', 'tsx', 'bffs/dev/import-operations-cli.ts', path.join(work, 'persisted-query-manifest.json'), '--client', 'ios', '--version', '5.2.0', '--dir', clientManifests]);
  if (imported.code !== 0) throw new Error(`operations:import failed: ${imported.stderr}`);
  writeFileSync(path.join(work, 'persisted-documents.json'), JSON.stringify({ [sha256(ANDROID_PROFILE)]: ANDROID_PROFILE }));
  writeFileSync(path.join(work, 'persisted_queries.json'), JSON.stringify({ [md5(RELAY_ORDERS)]: RELAY_ORDERS }));
  for (const [file, client] of [['persisted-documents.json', 'android'], ['persisted_queries.json', 'relay-web']] as const) {
    const outcome = importClientManifest(importRequest(path.join(work, file), client, '1.0.0'));
    if (!outcome.ok) throw new Error(outcome.problems.join('\n'));
  }

  subgraphs = await startSubgraphs();
  identity = await createTestIdentity();
  me = await identity.user();
  // Only the imported manifests: whatever runs here runs because its client's manifest has it.
  mobile = await startMobileBff({
    graphql: { subgraphUrls: subgraphs.urls, production: true, introspection: false, trustedDocuments: { clientManifestsDir: clientManifests, requireTrusted: true } },
    policies: identity.policies,
  });
});

afterAll(async () => {
  await mobile?.close();
  await subgraphs?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every request Apollo Client sends, as it sent it. */
interface Sent {
  method: string;
  url: string;
  body: string | undefined;
  headers: Record<string, string>;
}

function apolloClient(name: string, version: string, opts: { get?: boolean } = {}) {
  const sent: Sent[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    sent.push({ method: init?.method ?? 'GET', url: String(input), body: typeof init?.body === 'string' ? init.body : undefined, headers: Object.fromEntries(new Headers(init?.headers).entries()) });
    return fetch(input, init);
  };
  const persisted = createPersistedQueryLink({ ...generatePersistedQueryIdsFromManifest({ loadManifest: () => Promise.resolve(apolloManifest) }), useGETForHashedQueries: opts.get ?? false });
  // Apollo iOS and Kotlin send this header on every request; Apollo Server's CSRF protection asks for one like it on GET.
  const http = new HttpLink({ uri: `${mobile.url}/graphql`, headers: { ...me, 'apollo-require-preflight': 'true' }, fetch: recordingFetch });
  const client = new ApolloClient({ cache: new InMemoryCache(), link: persisted.concat(http), clientAwareness: { name, version } });
  return { client, sent };
}

const operation = (name: string): TypedDocumentNode => gql(readFileSync(path.join(MOBILE_OPERATIONS_DIR, `${name}.graphql`), 'utf8'));

function postJson(body: unknown, headers: Record<string, string>) {
  return http(`${mobile.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...me, ...headers }, body: JSON.stringify(body) });
}

describe("Portico's manifest and Apollo's generator", () => {
  it('give every mobile operation the same id: sha256 of the document as Apollo Client prints it', () => {
    const portico = JSON.parse(readFileSync(MOBILE_TRUSTED_DOCUMENTS, 'utf8')) as ApolloManifest;
    expect(apolloManifest.format).toBe('apollo-persisted-query-manifest');
    expect(apolloManifest.operations.map(({ name, id, body }) => ({ name, id, body }))).toEqual(portico.operations.map(({ name, id, body }) => ({ name, id, body })));
  });
});

describe('Apollo Client with the persisted-query link and the generated manifest', () => {
  it('runs the home screen over POST, sending only the id and its client name and version', async () => {
    const { client, sent } = apolloClient('ios', '5.2.0');
    const result = await client.query({ query: operation('HomeScreen'), variables: { recentOrders: 2 } });
    expect((result.data as { me: { orders: unknown[] } }).me.orders.length).toBeGreaterThan(0);
    expect(sent).toHaveLength(1);
    const body = JSON.parse(sent[0]?.body ?? '{}');
    expect(body.query).toBeUndefined();
    expect(body.extensions.persistedQuery.sha256Hash).toBe(apolloManifest.operations.find((o) => o.name === 'HomeScreen')?.id);
    expect(sent[0]?.headers).toMatchObject({ 'apollographql-client-name': 'ios', 'apollographql-client-version': '5.2.0' });
  });

  it('answers the same persisted operation again by direct execution, as Apollo Server answered it first', async () => {
    const directRequests = async () => metricValue(await mobile.app.metrics.registry.metrics(), 'portico_graphql_requests_total', { pipeline: 'direct' }) ?? 0;
    const before = await directRequests();
    const answers = [];
    for (let i = 0; i < 3; i++) {
      // A fresh client each time: its cache would answer the repeats itself.
      const { client } = apolloClient('ios', '5.2.0');
      answers.push((await client.query({ query: operation('HomeScreen'), variables: { recentOrders: 2 } })).data);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await directRequests()).toBeGreaterThanOrEqual(before + 2);
  });

  it('runs a product page over GET', async () => {
    const { client, sent } = apolloClient('ios', '5.2.0', { get: true });
    const result = await client.query({ query: operation('ProductDetail'), variables: { upc: '3' } });
    expect((result.data as { product: { upc: string } }).product.upc).toBe('3');
    expect(sent[0]?.method).toBe('GET');
    expect(new URL(sent[0]?.url ?? '').searchParams.has('query')).toBe(false);
  });

  it("refuses the same operation to a client that claims android's name: android's manifest does not have it", async () => {
    const { client } = apolloClient('android', '1.0.0');
    const failure = await client.query({ query: operation('HomeScreen') }).then(
      () => 'answered',
      (err: unknown) => JSON.stringify(err, Object.getOwnPropertyNames(err)),
    );
    expect(failure).toContain('PERSISTED_DOCUMENT_NOT_FOR_CLIENT');
  });
});

describe('the other toolchains', () => {
  it("runs a Relay request by doc_id from the Relay app's manifest", async () => {
    const res = await postJson({ doc_id: md5(RELAY_ORDERS), variables: { first: 2 } }, { 'x-client-name': 'relay-web' });
    expect(res.status).toBe(200);
    expect(res.json.data.me.orders).toHaveLength(2);
  });

  it('runs a documentId "sha256:…" request from the GraphQL Code Generator manifest', async () => {
    const res = await postJson({ documentId: `sha256:${sha256(ANDROID_PROFILE)}` }, { 'apollographql-client-name': 'android', 'apollographql-client-version': '1.0.0' });
    expect(res.status).toBe(200);
    expect(res.json.data.me).toMatchObject({ id: expect.any(String), name: expect.any(String), __typename: 'User' });
  });
});

describe('refusals', () => {
  it('answers an unknown id with PERSISTED_DOCUMENT_NOT_FOUND', async () => {
    const res = await postJson({ documentId: `sha256:${'0'.repeat(64)}` }, { 'apollographql-client-name': 'ios' });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
  });

  it("answers another client's id with PERSISTED_DOCUMENT_NOT_FOR_CLIENT, and so a request naming no client", async () => {
    const claims: Record<string, string>[] = [{ 'apollographql-client-name': 'ios' }, { 'x-client-name': 'relay-web' }, {}, { 'apollographql-client-name': 'no-such-app' }];
    for (const headers of claims) {
      const res = await postJson({ documentId: `sha256:${sha256(ANDROID_PROFILE)}` }, headers);
      expect({ headers, status: res.status, code: res.json.errors?.[0]?.extensions?.code }).toEqual({ headers, status: 400, code: 'PERSISTED_DOCUMENT_NOT_FOR_CLIENT' });
    }
  });

  it('refuses the text of a trusted document sent by another client', async () => {
    const res = await postJson({ query: ANDROID_PROFILE }, { 'apollographql-client-name': 'ios' });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_TRUSTED');
  });
});

describe('operations:import', () => {
  it('refuses a manifest with an operation the mobile contract does not have, naming it, and stores nothing', async () => {
    const bad = {
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [...apolloManifest.operations, { id: sha256('query Leak { me { id email } }'), name: 'Leak', type: 'query', body: 'query Leak { me { id email } }' }],
    };
    const file = path.join(work, 'bad-manifest.json');
    writeFileSync(file, JSON.stringify(bad));
    const res = await run(['--import', 'tsx', 'bffs/dev/import-operations-cli.ts', file, '--client', 'ios', '--version', '5.3.0', '--dir', clientManifests]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`operation 'Leak' (id ${sha256('query Leak { me { id email } }').slice(0, 16)}…) is invalid against the mobile contract: Cannot query field "email" on type "User".`);
    expect(existsSync(path.join(clientManifests, 'ios', '5.3.0.json'))).toBe(false);
  });

  it('refuses an operation over the mobile operation limits', () => {
    const deep = 'query Deep { me { orders { items { product { reviews { author { reviews { author { reviews { id } } } } } } } } } }';
    writeFileSync(path.join(work, 'deep.json'), JSON.stringify({ [md5(deep)]: deep }));
    const outcome = importClientManifest(importRequest(path.join(work, 'deep.json'), 'ios', '5.4.0'));
    expect(outcome).toEqual({ ok: false, problems: [expect.stringMatching(/operation 'Deep' \(id [0-9a-f]{16}…\) is over the operation limits: OPERATION_TOO_DEEP/)] });
  });

  it('keeps the manifest as the toolchain wrote it', () => {
    expect(readFileSync(path.join(clientManifests, 'ios', '5.2.0.json'), 'utf8')).toBe(readFileSync(path.join(work, 'persisted-query-manifest.json'), 'utf8'));
  });
});

describe('a bad stored manifest', () => {
  it('stops the BFF at start with a line naming the file and the problem', async () => {
    const dir = path.join(work, 'broken');
    const file = path.join(dir, 'ios', '6.0.0.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'not an id', name: 'X', type: 'query', body: '{ me { id } }' }] }));
    await expect(startMobileBff({ graphql: { subgraphUrls: subgraphs.urls, trustedDocuments: { clientManifestsDir: dir, requireTrusted: true } }, policies: identity.policies })).rejects.toThrow(
      `${file}: operation 'X': id "not an id" is not a document id`,
    );
  });
});
