import { PorticoError } from '../../shared/errors';
import { createJwtVerifier, principalFromClaims } from '../../shared/policies/authn/jwt';
import { MAX_BEARER_TOKEN_LENGTH, parseBearerJwt as parseBearer } from '../../shared/policies/authn/bearer';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, hmacWithPublicKey, unsecuredToken, type TestSigner } from '../helpers/tokens';

let signer: TestSigner;
let verifier: ReturnType<typeof createJwtVerifier>;

beforeAll(async () => {
  signer = await createTestSigner();
  verifier = createJwtVerifier({ jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
});

async function codeOf(token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (err) {
    return (err as PorticoError).code;
  }
}

describe('JWT verification', () => {
  it('accepts a well-signed token and maps its claims to a principal', async () => {
    const token = await signer.mint({ sub: '42', scope: 'orders:read profile', roles: ['admin'], tenant: 'acme', azp: 'web-app', plan: 'pro' });
    expect(await verifier.verify(token)).toEqual({
      kind: 'user',
      id: '42',
      scopes: ['orders:read', 'profile'],
      roles: ['admin'],
      tenant: 'acme',
      clientId: 'web-app',
      plan: 'pro',
      method: 'jwt',
    });
  });

  it('rejects an expired token with AUTH_TOKEN_EXPIRED', async () => {
    expect(await codeOf(await signer.mint({}, { expiresInSec: -60 }))).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('tolerates a few seconds of clock skew', async () => {
    expect(await codeOf(await signer.mint({}, { expiresInSec: -2 }))).toBe('accepted');
    expect(await codeOf(await signer.mint({}, { notBeforeSec: 2 }))).toBe('accepted');
  });

  it('rejects a token that is not valid yet', async () => {
    expect(await codeOf(await signer.mint({}, { notBeforeSec: 120 }))).toBe('AUTH_TOKEN_NOT_YET_VALID');
  });

  it('rejects a wrong audience and a wrong issuer with distinct codes', async () => {
    expect(await codeOf(await signer.mint({ aud: 'someone-else' }))).toBe('AUTH_TOKEN_WRONG_AUDIENCE');
    expect(await codeOf(await signer.mint({ iss: 'https://evil.example' }))).toBe('AUTH_TOKEN_WRONG_ISSUER');
  });

  it('rejects a token signed by another key', async () => {
    const other = await createTestSigner(signer.kid);
    expect(await codeOf(await other.mint())).toBe('AUTH_TOKEN_INVALID');
  });

  it('rejects a tampered payload', async () => {
    const [header, , signature] = (await signer.mint({ sub: '1' })).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: 'admin', exp: 9999999999 })).toString('base64url');
    expect(await codeOf(`${header}.${forged}.${signature}`)).toBe('AUTH_TOKEN_INVALID');
  });

  it('rejects alg none', async () => {
    expect(await codeOf(unsecuredToken({ sub: 'admin' }))).toBe('AUTH_ALGORITHM_NOT_ALLOWED');
  });

  it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
    expect(await codeOf(await hmacWithPublicKey(signer, { sub: 'admin' }))).toBe('AUTH_ALGORITHM_NOT_ALLOWED');
  });

  it('rejects garbage and a token without a subject', async () => {
    expect(await codeOf('not.a.jwt')).toBe('AUTH_TOKEN_INVALID');
    expect(await codeOf(await signer.mint({ sub: undefined }))).toBe('AUTH_TOKEN_INVALID');
  });

  it('refuses to be configured with symmetric or no algorithms', () => {
    expect(() => createJwtVerifier({ jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, algorithms: ['HS256'] })).toThrow(/asymmetric/);
    expect(() => createJwtVerifier({ jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, algorithms: ['none'] })).toThrow(/asymmetric/);
  });
});

describe('bearer parsing and claims', () => {
  it('extracts a bearer JWT and flags other schemes', () => {
    expect(parseBearer(undefined)).toBeUndefined();
    expect(parseBearer('Bearer aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
    expect(parseBearer('bearer   aaa.bbb.ccc ')).toBe('aaa.bbb.ccc');
    expect(parseBearer('Basic dXNlcjpwYXNz')).toBe('');
    expect(parseBearer('Bearer')).toBe('');
    expect(parseBearer('Bearer opaque-token')).toBe('');
  });

  it('refuses overlong and pathological headers without scanning them twice', () => {
    // Once 0.7 s of backtracking per request: a long second segment ending in a character no class allows.
    expect(parseBearer(`Bearer a.${'a'.repeat(15_000)}!`)).toBe('');
    expect(parseBearer(`Bearer a.${'a'.repeat(5_000)}!`)).toBe('');
    expect(parseBearer(`Bearer a.${'a'.repeat(MAX_BEARER_TOKEN_LENGTH)}.c`)).toBe('');
    expect(parseBearer(`Bearer a.${'a'.repeat(100)}.c`)).toBe(`a.${'a'.repeat(100)}.c`);
    expect(parseBearer(`Bearer a..c`)).toBe('');
    expect(parseBearer(`Bearer a.b.c.d`)).toBe('');
  });

  it('reads scopes from scope or scp and defaults the plan', () => {
    expect(principalFromClaims({ sub: 'u', scp: ['a', 'b'] })).toMatchObject({ scopes: ['a', 'b'], roles: [], plan: 'default' });
  });
});

describe('verified-token cache', () => {
  it('answers a repeated token from the cache, but never past its expiry', async () => {
    const signer = await createTestSigner();
    let clock = Date.now();
    const verifier = createJwtVerifier({ jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, now: () => clock, verifiedCacheTtlMs: 60_000 });
    const token = await signer.mint({ sub: 'cached' }, { expiresInSec: 30 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'cached' });
    clock += 20_000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: 'cached' });
    clock += 40_000; // past exp and past the 5 s tolerance
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'AUTH_TOKEN_EXPIRED' });
  });

  it('never caches a failure: a token that is not valid yet works once it is', async () => {
    const signer = await createTestSigner();
    let clock = Date.now();
    const verifier = createJwtVerifier({ jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, now: () => clock });
    const token = await signer.mint({}, { notBeforeSec: 60 });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'AUTH_TOKEN_NOT_YET_VALID' });
    clock += 61_000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ id: '1' });
  });
});
