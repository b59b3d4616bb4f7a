/**
 * A partner exploring the API without credentials: `/` and `/<version>` are a public index
 * (docs, OpenAPI documents, deprecation), unknown paths are 404, and every real route
 * still asks for credentials.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';

let upstream: RecordingUpstream;
let partner: RunningBff;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  const key = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: [] });
  partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies: { authn: { apiKeys: { records: [key.record] } } } });
});

afterAll(async () => {
  await partner?.close();
  await upstream?.close();
});

describe('partner index', () => {
  it('lists docs and versions at / without credentials', async () => {
    const res = await http(`${partner.url}/`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      name: 'Portico partner API',
      docs: '/docs',
      versions: [
        {
          version: 'v1',
          status: 'deprecated',
          href: '/v1',
          openapi: '/v1/openapi.json',
          deprecation: { since: '2026-11-01', sunset: '2027-06-30', successor: '/v2' },
          migrationNotes: '/docs/v1/migration',
        },
        { version: 'v2', status: 'current', href: '/v2', openapi: '/v2/openapi.json' },
      ],
    });
  });

  it('describes one version at /v1 and /v2, the deprecated one with its headers', async () => {
    const v1 = await http(`${partner.url}/v1`);
    expect(v1.status).toBe(200);
    expect(v1.json).toMatchObject({ version: 'v1', status: 'deprecated', docs: '/docs' });
    expect(v1.headers.sunset).toBe(new Date('2027-06-30').toUTCString());
    const v2 = await http(`${partner.url}/v2`);
    expect(v2.json).toMatchObject({ version: 'v2', status: 'current' });
    expect(v2.headers.sunset).toBeUndefined();
  });

  it('answers unknown paths 404 without asking for credentials, and real routes 401', async () => {
    const unknown = await http(`${partner.url}/v3/anything`);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'NOT_FOUND', requestId: unknown.headers['x-request-id'] });
    const route = await http(`${partner.url}/v1/products`);
    expect(route.status).toBe(401);
    expect(upstream.requests.filter((r) => r.url !== '/healthz')).toHaveLength(0);
  });
});
