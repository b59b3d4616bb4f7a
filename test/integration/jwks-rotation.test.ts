/**
 * Remote JWKS over real HTTP: a new signing key is picked up without a restart, and an
 * unreachable key server answers 503 (our problem), never 401 (the client's).
 */
import { createJwtVerifier } from '../../shared/policies/authn/jwt';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

describe('remote JWKS', () => {
  let oldKey: TestSigner;
  let newKey: TestSigner;
  let served: TestSigner[];
  let jwksServer: RecordingUpstream;

  beforeAll(async () => {
    oldKey = await createTestSigner('key-2026-01');
    newKey = await createTestSigner('key-2026-02');
    served = [oldKey];
    jwksServer = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: served.flatMap((s) => s.jwks.keys) }));
    });
  });

  afterAll(async () => jwksServer?.close());

  it('verifies tokens of a rotated-in key without a restart, and caches between fetches', async () => {
    const verifier = createJwtVerifier({ jwksUrl: `${jwksServer.origin}/jwks.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksCooldownMs: 0 });
    await expect(verifier.verify(await oldKey.mint({ sub: 'a' }))).resolves.toMatchObject({ id: 'a' });
    await expect(verifier.verify(await oldKey.mint({ sub: 'b' }))).resolves.toMatchObject({ id: 'b' });
    expect(jwksServer.requests).toHaveLength(1);

    served = [oldKey, newKey];
    await expect(verifier.verify(await newKey.mint({ sub: 'c' }))).resolves.toMatchObject({ id: 'c' });
    expect(jwksServer.requests).toHaveLength(2);

    served = [newKey];
    await expect(verifier.verify(await newKey.mint({ sub: 'd' }))).resolves.toMatchObject({ id: 'd' });
  });

  it('answers AUTH_KEYS_UNAVAILABLE when the key server cannot be reached', async () => {
    const verifier = createJwtVerifier({ jwksUrl: 'http://127.0.0.1:9/jwks.json', issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksTimeoutMs: 500 });
    await expect(verifier.verify(await oldKey.mint())).rejects.toMatchObject({ code: 'AUTH_KEYS_UNAVAILABLE', statusCode: 503 });
  });

  it('rejects a token whose key is in no JWKS with AUTH_TOKEN_INVALID', async () => {
    const stranger = await createTestSigner('unknown-kid');
    const verifier = createJwtVerifier({ jwksUrl: `${jwksServer.origin}/jwks.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksCooldownMs: 0 });
    await expect(verifier.verify(await stranger.mint())).rejects.toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
  });
});
