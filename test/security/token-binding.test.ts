/**
 * Attack: a credential minted for one BFF used at another. Each BFF serves its own kind of
 * caller (web and mobile: end users; partner: partner integrations) and its own audience;
 * a valid credential of the wrong kind is refused with 401 before any limiter or upstream
 * work, while the right kind is served alongside.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

let subgraphs: RunningSubgraphs;
let upstream: RecordingUpstream;
let signer: TestSigner;
let web: RunningBff;
let partner: RunningBff;
const partnerKey = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: [] });

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  upstream = await startRecordingUpstream();
  signer = await createTestSigner();
  const jwt = { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE };
  // Both BFFs accept both kinds of credential; what they serve is decided by principalKinds alone.
  const authn = { jwt, apiKeys: { records: [partnerKey.record] } };
  web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: { authn, principalKinds: ['user'] } });
  partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies: { authn, principalKinds: ['client'] } });
});

afterAll(async () => {
  await web?.close();
  await partner?.close();
  await upstream?.close();
  await subgraphs?.close();
});

describe('credentials bound to the kind of caller a BFF serves', () => {
  it('web refuses a partner API key, and serves a user token at the same time', async () => {
    const [refused, served] = await Promise.all([
      postGraphql(web.url, '{ me { id } }', undefined, { 'x-api-key': partnerKey.key }),
      postGraphql(web.url, '{ me { id } }', undefined, { authorization: `Bearer ${await signer.mint({ sub: '3' })}` }),
    ]);
    expect(refused.status).toBe(401);
    expect(refused.json).toMatchObject({ code: 'AUTH_PRINCIPAL_KIND_NOT_ACCEPTED', requestId: refused.headers['x-request-id'] });
    expect(refused.json.message).toBe('These credentials identify a client; this API serves end users only.');
    expect(served.json).toEqual({ data: { me: { id: '3' } } });
  });

  it('partner refuses a user token before calling any upstream, and serves an API key', async () => {
    upstream.requests.length = 0;
    const refused = await http(`${partner.url}/v1/products/1`, { headers: { authorization: `Bearer ${await signer.mint({ sub: '3' })}` } });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('AUTH_PRINCIPAL_KIND_NOT_ACCEPTED');
    expect(upstream.requests.filter((r) => r.url !== '/healthz')).toHaveLength(0);
    const served = await http(`${partner.url}/v1/products/1`, { headers: { 'x-api-key': partnerKey.key } });
    expect(served.status).toBe(200);
  });
});
