/**
 * Development signing keys for the demo stack: an ES256 key pair created on first start
 * under `.portico/dev-keys/` (git-ignored). The accounts service serves the public half as
 * a JWKS, the BFFs verify against it, and `npm run token` signs with the private half.
 * Never used outside local development: production deployments point the BFFs at their
 * identity provider's JWKS.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';

export const DEV_KEYS_DIR = path.resolve(__dirname, '../../.portico/dev-keys');
export const DEV_ISSUER = 'https://accounts.portico.dev';
/** The demo gateway's secret at the demo authorization server: a dev credential, refused in production. */
export const DEV_INTROSPECTION_CLIENT_SECRET = 'portico-gateway-dev-secret';
/** docker-compose's default Redis password: a dev credential, refused in production. */
export const DEV_REDIS_PASSWORD = 'portico-dev-redis-password';

/** Each demo BFF's own audience: a token names the BFFs it is for, and each BFF accepts only its own. */
export const BFF_AUDIENCES = { web: 'portico-web', mobile: 'portico-mobile', partner: 'portico-partner' } as const;
/** Dev user tokens are for the first-party apps' BFFs, web and mobile. */
export const DEV_USER_AUDIENCES: readonly string[] = [BFF_AUDIENCES.web, BFF_AUDIENCES.mobile];

export interface DevKeyFiles {
  dir: string;
  privateKeyFile: string;
  jwksFile: string;
  apiKeysFile: string;
}

export function devKeyFiles(dir = DEV_KEYS_DIR): DevKeyFiles {
  return { dir, privateKeyFile: path.join(dir, 'signing-key.jwk.json'), jwksFile: path.join(dir, 'jwks.json'), apiKeysFile: path.join(dir, 'api-keys.json') };
}

/** Creates the key pair (and an empty API key file) unless they exist; returns the file paths. */
export async function ensureDevKeys(dir = DEV_KEYS_DIR): Promise<DevKeyFiles> {
  const files = devKeyFiles(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!existsSync(files.privateKeyFile) || !existsSync(files.jwksFile)) {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = `dev-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
    const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
    writeFileSync(files.privateKeyFile, JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
    writeFileSync(files.jwksFile, JSON.stringify({ keys: [publicJwk] } satisfies JSONWebKeySet, null, 2));
  }
  if (!existsSync(files.apiKeysFile)) writeFileSync(files.apiKeysFile, JSON.stringify({ keys: [] }, null, 2), { mode: 0o600 });
  return files;
}

export interface DevTokenClaims {
  sub: string;
  scope?: string;
  roles?: string[];
  tenant?: string;
  plan?: string;
  /** Lifetime in seconds. Default 3600. */
  ttlSec?: number;
  /** `aud`: the BFFs the token is for. Default web and mobile (`DEV_USER_AUDIENCES`). */
  audience?: string | readonly string[];
}

/** Signs a development access token with the dev private key. */
export async function mintDevToken(claims: DevTokenClaims, dir = DEV_KEYS_DIR): Promise<string> {
  const files = await ensureDevKeys(dir);
  const jwk = JSON.parse(readFileSync(files.privateKeyFile, 'utf8')) as JWK;
  const key = await importJWK(jwk, 'ES256');
  const { sub, ttlSec = 3600, audience = DEV_USER_AUDIENCES, ...rest } = claims;
  const payload = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid as string, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setAudience(typeof audience === 'string' ? audience : [...audience])
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec)
    .sign(key);
}
