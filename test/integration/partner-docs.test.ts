/**
 * The partner docs against the real services: every operation's example is the answer the
 * demo services really give (replayed here, so examples cannot drift), real answers match
 * the documented schemas, the documented error codes and rate-limit headers are the ones
 * sent, the migration notes cover both route tables, and the portal at /docs is public,
 * self-hosted and under its own content security policy.
 *
 * `UPDATE_PARTNER_EXAMPLES=1 npx jest test/integration/partner-docs.test.ts` rewrites the
 * example files from the real answers (then review the diff).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { v1Routes } from '../../bffs/partner/versions/v1';
import { v2Routes } from '../../bffs/partner/versions/v2';
import { V1_TO_V2 } from '../../bffs/partner/versions/migration';
import { ERROR_CATALOGUE, type ErrorCode } from '../../shared/errors';
import type { OperationExample, RouteTable } from '../../shared/rest/route-table';
import { startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http, type HttpResult } from '../helpers/http';
import { createPartnerCredentials } from '../helpers/identity';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

/** The scopes `npm start` grants its demo partner key: what a partner trying the docs holds. */
const DEMO_PARTNER_SCOPES = ['orders:read', 'orders:write', 'customers:read'];
const EXAMPLES_DIR = path.join(__dirname, '../../bffs/partner/versions/examples');
const UPDATE = process.env.UPDATE_PARTNER_EXAMPLES === '1';

type Doc = { paths: Record<string, Record<string, Operation>>; info: { description?: string }; externalDocs?: { url: string }; components: Record<string, unknown> };
type Operation = { responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: object; example?: unknown; examples?: Record<string, { value: { code: string; statusCode: number } }> }> }> };

let subgraphs: RunningSubgraphs;
let partner: RunningBff;
const key = createPartnerCredentials(DEMO_PARTNER_SCOPES);
const scopeless = createPartnerCredentials([]);
const docs: Record<string, Doc> = {};

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  partner = await startPartnerBff(Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }])), {
    policies: { authn: { apiKeys: { records: [...(key.policies.authn?.apiKeys?.records ?? []), ...(scopeless.policies.authn?.apiKeys?.records ?? [])] } }, rateLimit: { perIp: false } },
  });
  for (const version of ['v1', 'v2']) docs[version] = (await http(`${partner.url}/${version}/openapi.json`)).json as Doc;
});

afterAll(async () => {
  await partner?.close();
  await subgraphs?.close();
});

const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, op })));

/** Replays an example request with the demo partner's key. */
function replay(example: OperationExample): Promise<HttpResult> {
  const body = example.requestBody === undefined ? undefined : JSON.stringify(example.requestBody);
  return http(`${partner.url}${example.request}`, { method: body ? 'POST' : 'GET', headers: { ...key.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) });
}

/** Examples in replay order: reads first, then writes, which change what later reads would see. */
const replayOrder = (table: RouteTable) => Object.entries(table.examples ?? {}).sort(([a], [b]) => Number(a.startsWith('POST')) - Number(b.startsWith('POST')));

describe('examples', () => {
  it.each([
    ['v1', v1Routes],
    ['v2', v2Routes],
  ] as const)('%s has an example for every operation, and each is the real answer of the demo services', async (version, table) => {
    const doc = docs[version] as Doc;
    expect(Object.keys(table.examples ?? {}).sort()).toEqual(operations(doc).map((o) => o.key).sort());
    const updated: Record<string, OperationExample> = {};
    for (const [operation, example] of replayOrder(table)) {
      const res = await replay(example);
      const body = res.json as Record<string, unknown>;
      if (UPDATE) {
        updated[operation] = { ...example, status: res.status, body };
        continue;
      }
      expect({ operation, status: res.status }).toEqual({ operation, status: example.status });
      // A placed order is stamped with the time it was placed: only that field may differ.
      const comparable = operation.startsWith('POST') ? { ...body, createdAt: (example.body as { createdAt: string }).createdAt } : body;
      if (operation.startsWith('POST')) expect(Date.parse(String(body.createdAt))).not.toBeNaN();
      expect({ operation, body: comparable }).toEqual({ operation, body: example.body });
    }
    if (UPDATE) writeFileSync(path.join(EXAMPLES_DIR, `${version}.json`), `${JSON.stringify(Object.fromEntries(Object.keys(table.examples ?? {}).map((k) => [k, updated[k]])), null, 2)}\n`);
  });
});

describe('response schemas', () => {
  it.each(['v1', 'v2'])('%s: every success answer has a real schema, and the examples match it', async (version) => {
    const doc = docs[version] as Doc;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const { key: operation, op } of operations(doc)) {
      const [status, response] = Object.entries(op.responses).find(([s]) => s.startsWith('2')) ?? [];
      const content = response?.content?.['application/json'];
      expect({ operation, schema: content?.schema }).not.toEqual({ operation, schema: { type: 'object' } });
      const validate = ajv.compile(content?.schema as object);
      const valid = validate(content?.example);
      expect({ operation, status, errors: valid ? null : validate.errors }).toEqual({ operation, status, errors: null });
    }
  });

  it('gives /v2/customers/{id} its real schema, and the answer keeps every documented field', async () => {
    const schema = docs.v2?.paths['/v2/customers/{id}']?.get?.responses['200']?.content?.['application/json']?.schema as { required: string[] };
    expect(schema.required).toEqual(['id', 'username', 'name', 'reviews', 'recentOrders']);
    const res = await http(`${partner.url}/v2/customers/4`, { headers: key.headers });
    expect(Object.keys(res.json as object).sort()).toEqual([...schema.required].sort());
  });
});

describe('errors', () => {
  it.each(['v1', 'v2'])('%s: every documented error code is in the catalogue with its status, in the shared error schema', async (version) => {
    const doc = docs[version] as Doc;
    for (const { key: operation, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses).filter(([s]) => Number(s) >= 400)) {
        const content = response.content?.['application/json'];
        expect(content?.schema).toEqual({ $ref: '#/components/schemas/Error' });
        for (const [code, example] of Object.entries(content?.examples ?? {})) {
          expect(example.value).toMatchObject({ code, statusCode: Number(status) });
          const catalogued = ERROR_CATALOGUE[code as ErrorCode];
          // Codes outside the catalogue are the upstream's own, documented as passed through.
          if (catalogued) expect({ operation, code, status: catalogued.statusCode }).toEqual({ operation, code, status: Number(status) });
        }
      }
    }
  });

  it.each([
    ['GET /v2/orders/{id}', 'AUTH_REQUIRED', '/v2/orders/3', 'no credentials', {}],
    ['GET /v2/orders/{id}', 'AUTH_API_KEY_INVALID', '/v2/orders/3', 'an unknown key', { 'x-api-key': 'pk_not-a-key' }],
    ['GET /v2/orders/{id}', 'FORBIDDEN', '/v2/orders/3', 'a key without the scope', scopeless.headers],
    ['GET /v2/orders/{id}', 'VALIDATION_FAILED', '/v2/orders/abc', 'the demo key', key.headers],
    ['GET /v2/orders/{id}', 'NOT_FOUND', '/v2/orders/99999', 'the demo key', key.headers],
    ['GET /v1/orders/{id}', 'FORBIDDEN', '/v1/orders/3', 'a key without the scope', scopeless.headers],
    ['GET /v1/products', 'BAD_REQUEST', '/v1/products?limit=500', 'the demo key', key.headers],
  ] as const)('%s documents %s, answered to %s with %s', async (operation, expected, url, _credentials, headers) => {
    const res = await http(`${partner.url}${url}`, { headers: { ...headers } });
    const body = res.json as { code: string; statusCode: number };
    expect(body.code).toBe(expected);
    const [method, p] = operation.split(' ') as [string, string];
    const version = p.split('/')[1] as string;
    const documented = docs[version]?.paths[p]?.[method.toLowerCase()]?.responses[String(res.status)]?.content?.['application/json']?.examples ?? {};
    expect(Object.keys(documented)).toContain(expected);
  });
});

describe('headers', () => {
  it('documents the RateLimit headers on every answer and sends them', async () => {
    for (const version of ['v1', 'v2']) {
      for (const { key: operation, op } of operations(docs[version] as Doc)) {
        const success = Object.entries(op.responses).find(([s]) => s.startsWith('2'))?.[1];
        expect({ operation, headers: Object.keys(success?.headers ?? {}) }).toEqual({ operation, headers: expect.arrayContaining(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) });
        expect(Object.keys(op.responses['429']?.headers ?? {})).toEqual(expect.arrayContaining(['retry-after', 'ratelimit-limit']));
      }
    }
    const res = await http(`${partner.url}/v2/products?limit=1`, { headers: key.headers });
    expect(res.headers).toMatchObject({ 'ratelimit-limit': '600', 'ratelimit-remaining': expect.stringMatching(/^\d+$/), 'ratelimit-reset': expect.stringMatching(/^\d+$/) });
  });

  it('documents the deprecation headers on v1 only', () => {
    const v1 = docs.v1?.paths['/v1/orders/{id}']?.get?.responses['200']?.headers ?? {};
    expect(Object.keys(v1)).toEqual(expect.arrayContaining(['deprecation', 'sunset', 'link']));
    expect(Object.keys(docs.v2?.paths['/v2/orders/{id}']?.get?.responses['200']?.headers ?? {})).not.toContain('sunset');
  });
});

describe('migration notes', () => {
  it('list every v1 operation once, and name only v2 operations that exist', () => {
    expect(V1_TO_V2.map((m) => m.v1).sort()).toEqual(operations(docs.v1 as Doc).map((o) => o.key).sort());
    const v2Operations = operations(docs.v2 as Doc).map((o) => o.key);
    for (const m of V1_TO_V2) if (m.v2) expect(v2Operations).toContain(m.v2);
  });

  it('are linked from v1 with its sunset date, and served without credentials', async () => {
    expect(docs.v1?.info.description).toMatch(/Deprecated.*since 2026-11-01.*Sunset: 2027-06-30/s);
    expect(docs.v1?.info.description).toContain('(/docs/v1/migration)');
    expect(docs.v1?.externalDocs?.url).toBe('/docs/v1/migration');
    const res = await http(`${partner.url}/docs/v1/migration`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    for (const m of V1_TO_V2) expect(res.text).toContain(`\`${m.v1}\``);
  });
});

describe('the portal', () => {
  it('is served without credentials, from this origin only, under its own content security policy', async () => {
    const page = await http(`${partner.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval/);
    // Every script and stylesheet is a relative URL on this origin, and answers.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThan(3);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const res = await http(new URL(asset, `${partner.url}/docs`).href);
      expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      expect(res.headers['content-security-policy']).toBeDefined();
    }
    // The current version's document, for tools that look for it beside the UI.
    expect((await http(`${partner.url}/docs/json`)).json).toEqual(docs.v2);
    // API answers keep no page policy.
    expect((await http(`${partner.url}/v2/products?limit=1`, { headers: key.headers })).headers['content-security-policy']).toBeUndefined();
  });
});
