/**
 * Every bad input, against every BFF, gets an error body with a documented Portico code and
 * the request id (the one in `x-request-id`): errors raised by Portico, by Fastify's
 * parsers, by Apollo Server before any plugin runs, and by Node's HTTP parser alike.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { startMobileBff, startPartnerBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { http, type HttpResult } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner } from '../helpers/tokens';

/** Codes listed in the documented error table. */
const DOCUMENTED_CODES = new Set(
  [...readFileSync(path.join(__dirname, '../../docs/errors.md'), 'utf8').matchAll(/^\| (`[A-Z_]+`(?:[^|]*`[A-Z_]+`)*)[^|]*\|/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((c) => c[1] as string)),
);

interface BadInput {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
}

/** A raw HTTP/1.1 exchange, for requests no client library would send. */
function rawRequest(url: string, text: string): Promise<HttpResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(text));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: body, json });
    });
  });
}

function codeAndRequestId(res: HttpResult): { code: unknown; requestId: unknown } {
  if (res.json?.errors) return { code: res.json.errors[0]?.extensions?.code, requestId: res.json.errors[0]?.extensions?.requestId };
  return { code: res.json?.code, requestId: res.json?.requestId };
}

let subgraphs: RunningSubgraphs;
const bffs: Record<'web' | 'mobile' | 'partner', RunningBff> = {} as never;
const credentials: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  const signer = await createTestSigner();
  const token = await signer.mint({ sub: '1' });
  const jwt = { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } };
  bffs.web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: jwt });
  bffs.mobile = await startMobileBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: jwt });
  const key = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: ['orders:read', 'orders:write'] });
  bffs.partner = await startPartnerBff(Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }])), { policies: { authn: { apiKeys: { records: [key.record] } } } });
  credentials.web = { authorization: `Bearer ${token}` };
  credentials.mobile = { authorization: `Bearer ${token}` };
  credentials.partner = { 'x-api-key': key.key };
});

afterAll(async () => {
  await Promise.all(Object.values(bffs).map((bff) => bff?.close()));
  await subgraphs?.close();
});

const JSON_TYPE = { 'content-type': 'application/json' };
const OVERSIZED = JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(2_000_000) });

const GRAPHQL_INPUTS: BadInput[] = [
  { name: 'malformed JSON', method: 'POST', path: '/graphql', headers: JSON_TYPE, body: '{"query": ', status: 400 },
  { name: 'wrong content type', method: 'POST', path: '/graphql', headers: { 'content-type': 'application/xml' }, body: '<query/>', status: 415 },
  { name: 'text/plain without a preflight header (CSRF prevention)', method: 'POST', path: '/graphql', headers: { 'content-type': 'text/plain' }, body: '{ __typename }', status: 400 },
  { name: 'a batched array', method: 'POST', path: '/graphql', headers: JSON_TYPE, body: '[{"query":"{ __typename }"},{"query":"{ __typename }"}]', status: 400 },
  { name: 'a body without a query', method: 'POST', path: '/graphql', headers: JSON_TYPE, body: '{"variables":{}}', status: 400 },
  { name: 'an unknown route', path: '/nope', status: 404 },
  { name: 'an oversized body', method: 'POST', path: '/graphql', headers: JSON_TYPE, body: OVERSIZED, status: 413 },
  { name: 'a query string with bad variables JSON', path: '/graphql?query=%7B__typename%7D&variables=%7Bnot-json', headers: { 'apollo-require-preflight': '1' }, status: 400 },
  { name: 'a syntax error', method: 'POST', path: '/graphql', headers: JSON_TYPE, body: '{"query":"{ me { "}', status: 400 },
];

const PARTNER_INPUTS: BadInput[] = [
  { name: 'malformed JSON', method: 'POST', path: '/v1/orders', headers: JSON_TYPE, body: '{"customerId": ', status: 400 },
  { name: 'wrong content type', method: 'POST', path: '/v1/orders', headers: { 'content-type': 'application/xml' }, body: '<order/>', status: 415 },
  { name: 'a batched array', method: 'POST', path: '/v1/orders', headers: JSON_TYPE, body: '[{"customerId":"1"}]', status: 400 },
  { name: 'an unknown route', path: '/v9/nope', status: 404 },
  { name: 'an oversized body', method: 'POST', path: '/v1/orders', headers: JSON_TYPE, body: OVERSIZED, status: 413 },
  { name: 'a bad query string', path: '/v2/products?limit=abc', status: 400 },
  { name: 'an unknown query parameter', path: '/v2/products?debug=1', status: 400 },
];

describe.each(['web', 'mobile', 'partner'] as const)('%s BFF', (name) => {
  const inputs = name === 'partner' ? PARTNER_INPUTS : GRAPHQL_INPUTS;

  it.each(inputs)('answers $name with $status, a documented code and the request id', async (input) => {
    const bff = bffs[name];
    const res = await http(`${bff.url}${input.path}`, { method: input.method ?? 'GET', headers: { ...credentials[name], ...input.headers }, ...(input.body !== undefined ? { body: input.body } : {}) });
    expect(res.status).toBe(input.status);
    const { code, requestId } = codeAndRequestId(res);
    expect(DOCUMENTED_CODES).toContain(code);
    expect(requestId).toBe(res.headers['x-request-id']);
    expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('answers a malformed Authorization header with 401 and a catalogue code', async () => {
    const bff = bffs[name];
    const res = await http(`${bff.url}${name === 'partner' ? '/v2/products' : '/graphql?query=%7B__typename%7D'}`, { headers: { authorization: 'Basic dXNlcjpwYXNz', 'apollo-require-preflight': '1' } });
    expect(res.status).toBe(401);
    // Partner takes API keys only: an Authorization header is no credential there.
    expect(res.json).toMatchObject({ code: name === 'partner' ? 'AUTH_REQUIRED' : 'AUTH_TOKEN_INVALID', requestId: res.headers['x-request-id'] });
  });

  it('answers an Authorization value captured with a banner (a line break) with AUTH_TOKEN_INVALID', async () => {
    const bff = bffs[name];
    const res = await rawRequest(bff.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \r\n> portico@0.1.0 token\r\n> tsx shared/dev/token-cli.ts\r\n\r\n`);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'AUTH_TOKEN_INVALID', requestId: res.headers['x-request-id'] });
    expect(res.json.message).toContain('npm run -s token');
  });

  it('answers an unparseable request and an oversized header block with catalogue bodies', async () => {
    const bff = bffs[name];
    const garbage = await rawRequest(bff.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n`);
    expect(garbage.status).toBe(400);
    expect(garbage.json).toMatchObject({ code: 'BAD_REQUEST', requestId: garbage.headers['x-request-id'] });
    const huge = await rawRequest(bff.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nx-padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    expect(huge.json).toMatchObject({ code: 'HEADERS_TOO_LARGE', requestId: huge.headers['x-request-id'] });
  });
});
