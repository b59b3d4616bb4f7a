/**
 * The pure parts of the REST docs: which error codes an operation can answer, given what the
 * facade enforces, and the CSP hashes of the inline stylesheets a script creates.
 */
import { createHash } from 'node:crypto';
import { errorCodesFor, type OpenApiOptions } from '../../shared/rest/openapi';
import { docsContentSecurityPolicy, inlineStyleHashes, versionSwitch } from '../../shared/rest/docs-portal';

const keysOnly: OpenApiOptions = { title: 'T', apiKeys: true };
const read = { method: 'GET', isPublic: false, scopes: [] as string[], validated: false };

describe('errorCodesFor', () => {
  it('lists no credential codes for a public route, and the upstream failures for every route', () => {
    const codes = errorCodesFor(keysOnly, { ...read, isPublic: true });
    expect(codes.filter((c) => c.startsWith('AUTH_'))).toEqual([]);
    expect(codes).toEqual(expect.arrayContaining(['NOT_FOUND', 'INTERNAL_ERROR', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_CIRCUIT_OPEN']));
  });

  it('adds FORBIDDEN only where the route needs scopes, VALIDATION_FAILED only where it has a schema', () => {
    expect(errorCodesFor(keysOnly, read)).not.toContain('FORBIDDEN');
    expect(errorCodesFor(keysOnly, { ...read, scopes: ['orders:read'] })).toContain('FORBIDDEN');
    expect(errorCodesFor(keysOnly, read)).not.toContain('VALIDATION_FAILED');
    expect(errorCodesFor(keysOnly, { ...read, validated: true })).toContain('VALIDATION_FAILED');
  });

  it('adds the body codes to a POST', () => {
    expect(errorCodesFor(keysOnly, { ...read, method: 'POST' })).toEqual(expect.arrayContaining(['INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE']));
    expect(errorCodesFor(keysOnly, read)).not.toContain('PAYLOAD_TOO_LARGE');
  });

  it('names the codes of the bearer checks that are configured', () => {
    const jwt = errorCodesFor({ ...keysOnly, bearerTokens: true, bearerKinds: { jwt: true, introspection: false } }, read);
    expect(jwt).toEqual(expect.arrayContaining(['AUTH_TOKEN_EXPIRED', 'AUTH_TOKEN_WRONG_AUDIENCE']));
    expect(jwt).not.toContain('AUTH_TOKEN_INACTIVE');
    const opaque = errorCodesFor({ ...keysOnly, bearerTokens: true, bearerKinds: { jwt: false, introspection: true } }, read);
    expect(opaque).toEqual(expect.arrayContaining(['AUTH_TOKEN_INACTIVE', 'AUTH_INTROSPECTION_UNAVAILABLE']));
    expect(opaque).not.toContain('AUTH_TOKEN_EXPIRED');
    expect(errorCodesFor(keysOnly, read)).not.toContain('AUTH_TOKEN_INVALID');
  });

  it('adds the limiter codes with rate limits, the outage code only when failing closed', () => {
    expect(errorCodesFor(keysOnly, read)).not.toContain('RATE_LIMITED');
    expect(errorCodesFor({ ...keysOnly, rateLimit: {} }, read)).toContain('RATE_LIMITED');
    expect(errorCodesFor({ ...keysOnly, rateLimit: { store: { kind: 'redis', failMode: 'open-to-local' } } }, read)).not.toContain('RATE_LIMITER_UNAVAILABLE');
    expect(errorCodesFor({ ...keysOnly, rateLimit: { store: { kind: 'redis', failMode: 'closed' } } }, read)).toContain('RATE_LIMITER_UNAVAILABLE');
  });
});

describe('the portal page', () => {
  it('hashes each literal inline stylesheet a script creates, once', () => {
    const css = '.a{fill:#fff}';
    const script = `x.createElement("style",null,"${css}");y.createElement("style",null,"${css}");z.createElement("div",null,"not a style")`;
    expect(inlineStyleHashes(script)).toEqual([`'sha256-${createHash('sha256').update(css).digest('base64')}'`]);
  });

  it('allows scripts from its origin only, and inline styles only by hash', () => {
    const csp = docsContentSecurityPolicy(["'sha256-abc='"]);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self' 'sha256-abc=';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
  });

  it('shows the newest version first and marks a deprecated one with its sunset', () => {
    const v1 = { version: 'v1', deprecation: { since: '2026-11-01', sunset: '2027-06-30', successor: '/v2' }, routes: [] };
    expect(versionSwitch([v1, { version: 'v2', routes: [] }])).toEqual([
      { url: '/v2/openapi.json', name: 'v2' },
      { url: '/v1/openapi.json', name: 'v1 (deprecated, sunset 2027-06-30)' },
    ]);
  });
});

describe("the partner's documented order body", () => {
  it("is the orders service's own: the portal cannot promise a body the upstream refuses", async () => {
    const { ordersWriteDocs } = await import('../../bffs/partner/versions/v1-schemas');
    const { newOrderSchema } = await import('../../supergraph/subgraphs/orders');
    expect(ordersWriteDocs.createBody).toEqual(newOrderSchema);
  });
});
