import type { IncomingMessage } from 'node:http';
import { decodeProtectedHeader } from 'jose';
import { parseBearerJwt } from '../../shared/policies/authn/bearer';
import { createJwtVerifier, principalFromClaims } from '../../shared/policies/authn/jwt';
import { isOwnWarmUpRequest, isWarmUpRequest, openWarmUpWindow, takeWarmUpMarker, WARM_UP_REQUEST_HEADER, warmUpJwtVerifier, warmUpMarkerHeader, warmUpPrincipal, warmUpRequestHeaders } from '../../shared/warm-up-request';
import { createTestSigner, TEST_AUDIENCE, TEST_ISSUER } from '../helpers/tokens';

const secret = warmUpMarkerHeader()[WARM_UP_REQUEST_HEADER] as string;

function raw(header: string | string[] | undefined, remoteAddress: string | undefined): IncomingMessage {
  return { headers: header === undefined ? {} : { [WARM_UP_REQUEST_HEADER]: header }, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('isWarmUpRequest', () => {
  it('recognises the secret from loopback only while a warm-up is under way', () => {
    expect(isWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(false);
    const close = openWarmUpWindow();
    try {
      expect(isWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(true);
      expect(isWarmUpRequest(raw(secret, '::1'))).toBe(true);
      expect(isWarmUpRequest(raw(secret, '::ffff:127.0.0.1'))).toBe(true);
    } finally {
      close();
      close();
    }
    expect(isWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(false);
  });

  it.each([
    ['no header', raw(undefined, '127.0.0.1')],
    ['another value', raw('x'.repeat(secret.length), '127.0.0.1')],
    ['a value of another length', raw(`${secret}x`, '127.0.0.1')],
    ['the header twice', raw([secret, secret], '127.0.0.1')],
    ['the secret from another address', raw(secret, '10.0.0.7')],
    ['the secret from a public IPv6 address', raw(secret, '2001:db8::1')],
    ['the secret from an unknown address', raw(secret, undefined)],
  ])('refuses %s, even during a warm-up', (_name, request) => {
    const close = openWarmUpWindow();
    try {
      expect(isWarmUpRequest(request)).toBe(false);
    } finally {
      close();
    }
  });
});

describe('what a warm-up request carries', () => {
  it('is the warm-up principal, built as a verified token’s principal (same properties, same order, not frozen)', () => {
    const principal = warmUpPrincipal();
    const fromToken = principalFromClaims({ sub: 'someone' });
    expect(Object.keys(principal)).toEqual(Object.keys(fromToken));
    expect(Object.isFrozen(principal)).toBe(false);
    expect(principal).toEqual({ kind: 'user', id: 'portico-warm-up', scopes: [], roles: [], plan: 'default', method: 'warm-up' });
    // A new object per request: no request can change another's principal.
    expect(warmUpPrincipal()).not.toBe(principal);
  });

  it("carries a token signed by the warm-up's own key: its verifier accepts it as a client's verifier accepts a client's, and a client's verifier refuses it", async () => {
    const authorization = (await warmUpRequestHeaders()).authorization as string;
    const token = parseBearerJwt(authorization) as string;
    expect(token).toBeTruthy();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: 'portico-warm-up' });
    // Built as a client's verified token's principal is (same keys, same order).
    const principal = await warmUpJwtVerifier().verify(token);
    expect(Object.keys(principal)).toEqual(Object.keys(principalFromClaims({ sub: 'someone' })));
    expect(principal).toMatchObject({ kind: 'user', id: 'portico-warm-up', scopes: [], roles: [] });
    // A client's verifier trusts its identity provider's keys, never the warm-up's.
    const signer = await createTestSigner();
    const verifier = createJwtVerifier({ jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
    // Nor does the warm-up's verifier accept a client's token.
    await expect(warmUpJwtVerifier().verify(await signer.mint())).rejects.toMatchObject({ code: expect.stringMatching(/^AUTH_/) });
  });
});

describe('takeWarmUpMarker', () => {
  it('rebuilds the headers without the marker, the others in their order, and leaves the raw headers as Node counted them', () => {
    const close = openWarmUpWindow();
    try {
      const raw = {
        headers: { host: 'localhost', 'content-type': 'application/json', [WARM_UP_REQUEST_HEADER]: secret, accept: 'application/json' },
        rawHeaders: ['Host', 'localhost', 'Content-Type', 'application/json', 'X-Portico-Warm-Up', secret, 'Accept', 'application/json'],
        socket: { remoteAddress: '127.0.0.1' },
      } as unknown as IncomingMessage;
      const before = raw.headers;
      expect(isWarmUpRequest(raw)).toBe(true);
      takeWarmUpMarker(raw);
      expect(raw.headers).not.toBe(before);
      expect(Object.keys(raw.headers)).toEqual(['host', 'content-type', 'accept']);
      expect(raw.rawHeaders).toHaveLength(8);
      // Still known as this process's warm-up request (its logs are left out), the header gone.
      expect(isWarmUpRequest(raw)).toBe(false);
      expect(isOwnWarmUpRequest(raw)).toBe(true);
    } finally {
      close();
    }
  });

  it('knows no other request as its own', () => {
    expect(isOwnWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(false);
  });
});
