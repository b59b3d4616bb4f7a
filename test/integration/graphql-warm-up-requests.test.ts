/**
 * The warm-up's requests: before a fresh GraphQL BFF reports ready, it sends itself its
 * registered operations through its whole pipeline. They are the BFF's own: not ready until
 * they are done, nothing of them in the metrics, no rate limit spent, no subgraph called.
 * They run a client's code wherever it is safe: their bearer header is read as a JWT (never
 * verified), their charge goes to a limiter of their own. And no client can pass for one: the
 * marker header, even with this process's secret, means nothing on a request that came through
 * a socket, and the warm-up's bearer header is an unsigned token every verifier refuses.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WEB_OPERATIONS_DIR } from '../../bffs/web/manifest';
import { WARM_UP_TRAFFIC_CHECK } from '../../shared/graphql/federated-graphql-plugin';
import { WARM_UP_REQUEST_HEADER, warmUpMarkerHeader, warmUpRequestHeaders } from '../../shared/warm-up-request';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { createTestSigner, TEST_AUDIENCE, TEST_ISSUER } from '../helpers/tokens';

let subgraphs: RunningSubgraphs;
let web: RunningBff;
let atReady: string;
let readyDetail: string;

async function metrics(): Promise<string> {
  return (await http(`${web.url}/metrics`)).text;
}

/** The samples of a metric family, as lines (empty when it has none). */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

/** The first ready answer of `bff` (its last answer after 10 s if it never was): not ready until the warm-up requests are done. */
async function readyAnswer(bff: RunningBff) {
  let ready = await http(`${bff.url}/readyz`);
  for (let i = 0; i < 400 && ready.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 25));
    ready = await http(`${bff.url}/readyz`);
  }
  return ready;
}

async function accountMenu(headers: Record<string, string> = {}) {
  const query = await readFile(path.join(WEB_OPERATIONS_DIR, 'AccountMenu.graphql'), 'utf8');
  return http(`${web.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, operationName: 'AccountMenu' }) });
}

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  web = await startWebBff({
    graphql: { subgraphUrls: subgraphs.urls, warmUp: { requests: 300 } },
    // Limits low enough that 300 requests counted against 127.0.0.1 or one principal would show.
    policies: { principalKinds: ['user'], rateLimit: { perIp: { limit: 1_000, windowMs: 60_000 }, plans: { default: { limit: 1_000, windowMs: 60_000 } } } },
    ready: false,
  });
  // Not ready until the warm-up requests are done.
  const ready = await readyAnswer(web);
  expect(ready.status).toBe(200);
  readyDetail = ready.json.checks[WARM_UP_TRAFFIC_CHECK]?.detail;
  atReady = await metrics();
}, 30_000);

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
});

it('reports ready once its warm-up requests are answered, all of them 200', () => {
  // Their subgraph fetches went to the stand-in subgraphs (warm-up-upstreams.ts), every operation fetching at least once.
  const [, fetches] = /^300 warm-up request\(s\) in \d+ ms, (\d+) stand-in subgraph fetch\(es\)$/.exec(readyDetail) ?? [];
  expect(Number(fetches)).toBeGreaterThanOrEqual(300);
});

it('leaves no trace of them in the metrics: no HTTP or GraphQL request, no rate-limit decision, no upstream call', () => {
  for (const name of [
    'portico_http_requests_total',
    'portico_graphql_requests_total',
    'portico_graphql_operation_requests_total',
    'portico_graphql_plan_executions_total',
    'portico_rate_limit_decisions_total',
    'portico_identity_headers_stripped_total',
    'portico_upstream_request_duration_seconds_count',
  ]) {
    expect({ name, samples: samples(atReady, name).filter((line) => !line.includes('route="/readyz"') && !line.endsWith(' 0')) }).toEqual({ name, samples: [] });
  }
});

it('has compiled and admitted the registered operations: a client’s first request takes the direct path', async () => {
  const query = await readFile(path.join(WEB_OPERATIONS_DIR, 'StoreFront.graphql'), 'utf8');
  const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName: 'StoreFront' }) });
  expect(res.status).toBe(200);
  expect(res.json.data.topProducts.length).toBeGreaterThan(0);
  // The 300 warm-up requests spent nothing of 127.0.0.1's budget (only the test's own scrapes did).
  expect(Number(res.headers['ratelimit-remaining'])).toBeGreaterThan(990);
  expect(samples(await metrics(), 'portico_graphql_requests_total').find((line) => line.includes('pipeline="direct"'))).toMatch(/ 1$/);
});

describe('a client cannot pass for a warm-up request', () => {
  it.each([
    ['an arbitrary value', { [WARM_UP_REQUEST_HEADER]: 'x' }],
    ["this process's own secret, sent through a socket", warmUpMarkerHeader()],
  ])('with %s in the marker header it is an ordinary anonymous client', async (_name, headers) => {
    const before = await metrics();
    const res = await accountMenu(headers);
    // An anonymous caller's answer: the real subgraph's user, the e-mail address withheld
    // (a warm-up request would run the whole document on made-up data and be answered "1").
    expect(res.status).toBe(200);
    expect(res.json.data.me.name).not.toBe('1');
    expect(res.json.data.me.email).toBeNull();
    expect(res.json.errors).toEqual([expect.objectContaining({ path: ['me', 'email'], extensions: expect.objectContaining({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' }) })]);
    // Counted, limited and stripped like any client's.
    const after = await metrics();
    const count = (text: string, name: string) => samples(text, name).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(count(after, 'portico_graphql_operation_requests_total')).toBe(count(before, 'portico_graphql_operation_requests_total') + 1);
    expect(count(after, 'portico_rate_limit_decisions_total')).toBeGreaterThan(count(before, 'portico_rate_limit_decisions_total'));
    expect(count(after, 'portico_identity_headers_stripped_total')).toBe(count(before, 'portico_identity_headers_stripped_total') + 1);
  });
});

describe('on a BFF that requires a token', () => {
  let guarded: RunningBff;
  let guardedAtReady: string;
  let signer: Awaited<ReturnType<typeof createTestSigner>>;

  beforeAll(async () => {
    signer = await createTestSigner();
    guarded = await startWebBff({
      graphql: { subgraphUrls: subgraphs.urls, warmUp: { requests: 100 } },
      policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } }, principalKinds: ['user'] },
      ready: false,
    });
    const ready = await readyAnswer(guarded);
    expect(ready.status).toBe(200);
    // Their bearer header was read as a client's, never verified (it would have been refused): every one answered 200.
    guardedAtReady = (await http(`${guarded.url}/metrics`)).text;
    expect(ready.json.checks[WARM_UP_TRAFFIC_CHECK]?.detail).toMatch(/^100 warm-up request\(s\) in \d+ ms, \d+ stand-in subgraph fetch\(es\)$/);
  }, 30_000);

  afterAll(async () => {
    await guarded?.close();
  });

  const accountMenuOf = async (headers: Record<string, string>) => {
    const query = await readFile(path.join(WEB_OPERATIONS_DIR, 'AccountMenu.graphql'), 'utf8');
    return http(`${guarded.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, operationName: 'AccountMenu' }) });
  };

  it('refuses the warm-up’s own headers sent by a client, secret and bearer alike: a token signed by a key no client verifier trusts, 401', async () => {
    const res = await accountMenuOf(await warmUpRequestHeaders());
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('AUTH_TOKEN_INVALID');
  });

  it('counts no authentication failure for them', () => {
    expect(samples(guardedAtReady, 'portico_auth_failures_total').filter((line) => !line.endsWith(' 0'))).toEqual([]);
  });

  it('serves a client’s signed token as before', async () => {
    const res = await accountMenuOf({ authorization: `Bearer ${await signer.mint()}` });
    expect(res.status).toBe(200);
    expect(res.json.data.me.email).toEqual(expect.any(String));
  });
});

it('runs on a BFF that serves partner integrations only: the warm-up is of no kind it refuses', async () => {
  const signer = await createTestSigner();
  const clientsOnly = await startWebBff({
    graphql: { subgraphUrls: subgraphs.urls, warmUp: { requests: 50 } },
    policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } }, principalKinds: ['client'] },
    ready: false,
  });
  try {
    const ready = await readyAnswer(clientsOnly);
    expect(ready.json.checks[WARM_UP_TRAFFIC_CHECK]?.detail).toMatch(/^50 warm-up request\(s\) in \d+ ms, \d+ stand-in subgraph fetch\(es\)$/);
    const text = (await http(`${clientsOnly.url}/metrics`)).text;
    expect(samples(text, 'portico_auth_failures_total').filter((line) => !line.endsWith(' 0'))).toEqual([]);
    // A user's token is still refused there.
    const res = await http(`${clientsOnly.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await signer.mint()}` }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('AUTH_PRINCIPAL_KIND_NOT_ACCEPTED');
  } finally {
    await clientsOnly.close();
  }
}, 30_000);
