/**
 * Real signing keys for tests: an ES256 key pair whose public half is served as a JWKS,
 * and a minting function that can also produce every kind of bad token.
 */
import { SignJWT, exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, type KeyLike } from 'jose';

export const TEST_ISSUER = 'https://auth.portico.test';
export const TEST_AUDIENCE = 'portico-web';

export interface TestSigner {
  jwks: JSONWebKeySet;
  kid: string;
  privateKey: KeyLike;
  /** Signs `claims` (defaults: iss, aud, sub "1", exp in 5 min) with this signer's key. */
  mint(claims?: JWTPayload, options?: { kid?: string; expiresInSec?: number; notBeforeSec?: number }): Promise<string>;
}

export async function createTestSigner(kid = 'test-key-1'): Promise<TestSigner> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    kid,
    privateKey,
    async mint(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: '1', ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? kid })
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInSec ?? 300));
      if (options.notBeforeSec !== undefined) jwt.setNotBefore(now + options.notBeforeSec);
      return jwt.sign(privateKey);
    },
  };
}

function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** An unsigned token (`alg: none`) with the given claims. */
export function unsecuredToken(claims: JWTPayload): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300, ...claims })}.`;
}

/** An HS256 token whose HMAC secret is the public JWK text: the classic key-confusion attack. */
export async function hmacWithPublicKey(signer: TestSigner, claims: JWTPayload = {}): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(signer.jwks.keys[0]));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: '1', ...claims })
    .setProtectedHeader({ alg: 'HS256', kid: signer.kid })
    .setExpirationTime(now + 300)
    .sign(secret);
}
