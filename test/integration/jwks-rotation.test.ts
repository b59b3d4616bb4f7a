/**
 * Remote JWKS over real HTTP: a new signing key is picked up without a restart, and an
 * unreachable key server answers 503 (our problem), never 401 (the client's). The key set is
 * fetched as a BFF starts, and a client's parallel first requests with a new token share one
 * verification.
 */
import { createJwtVerifier } from '../../shared/policies/authn/jwt';
import { startWebBff } from '../helpers/bffs';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

describe('remote JWKS', () => {
  let oldKey: TestSigner;
  let newKey: TestSigner;
  let served: TestSigner[];
  let jwksServer: RecordingUpstream;
  /** Key-set requests still to answer 500. */
  let failNext = 0;

  beforeAll(async () => {
    oldKey = await createTestSigner('key-2026-01');
    newKey = await createTestSigner('key-2026-02');
    served = [oldKey];
    jwksServer = await startRecordingUpstream((_req, res) => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
        return;
      }
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

  it('fetches the key set when asked, before any token, and the first token then needs no fetch', async () => {
    served = [oldKey];
    const verifier = createJwtVerifier({ jwksUrl: `${jwksServer.origin}/prefetched.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    await verifier.prefetchKeys();
    const fetches = () => jwksServer.requests.filter((r) => r.url === '/prefetched.json').length;
    expect(fetches()).toBe(1);
    await expect(verifier.verify(await oldKey.mint({ sub: 'early' }))).resolves.toMatchObject({ id: 'early' });
    expect(fetches()).toBe(1);
  });

  it('leaves a failed fetch to the first token, which fetches again', async () => {
    served = [oldKey];
    const verifier = createJwtVerifier({ jwksUrl: `${jwksServer.origin}/retried.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    failNext = 1;
    await expect(verifier.prefetchKeys()).rejects.toThrow();
    await expect(verifier.verify(await oldKey.mint({ sub: 'later' }))).resolves.toMatchObject({ id: 'later' });
    expect(jwksServer.requests.filter((r) => r.url === '/retried.json')).toHaveLength(2);
  });

  it('verifies a new token once for the requests that bring it together', async () => {
    served = [oldKey];
    const verifier = createJwtVerifier({ jwksUrl: `${jwksServer.origin}/jwks.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    const token = await oldKey.mint({ sub: 'parallel' });
    const principals = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    // One verification: one principal object for all twenty (each verification builds its own).
    expect(new Set(principals).size).toBe(1);
    expect(principals[0]).toMatchObject({ id: 'parallel' });
    // A bad token's parallel requests are each refused.
    const forged = `${token.slice(0, -4)}AAAA`;
    const refusals = await Promise.allSettled(Array.from({ length: 5 }, () => verifier.verify(forged)));
    expect(refusals.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
  });

  it('a BFF fetches its key set as it starts, before any client sends a token', async () => {
    const before = jwksServer.requests.filter((r) => r.url === '/bff.json').length;
    const web = await startWebBff({ policies: { authn: { jwt: { jwksUrl: `${jwksServer.origin}/bff.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } }, ready: false });
    try {
      const deadline = Date.now() + 5_000;
      while (jwksServer.requests.filter((r) => r.url === '/bff.json').length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(jwksServer.requests.filter((r) => r.url === '/bff.json').length).toBe(before + 1);
    } finally {
      await web.close();
    }
  });
});
