/**
 * Verified callers for tests of BFFs whose schema declares who may read what: a JWT policy
 * for the BFF and bearer headers for the callers the demo's rules distinguish.
 */
import type { PolicySettings } from '../../shared/manifest';
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner } from './tokens';

export interface TestIdentity {
  /** Authentication for the BFF under test: JWTs from this identity's signer. */
  policies: PolicySettings;
  /** A back-office user (role `support`) allowed every demo rule: lists, personal data, everyone's orders. */
  staff: Record<string, string>;
  /** Headers of a user token with these claims (`sub` defaults to 1). */
  user(claims?: { sub?: string; scope?: string; roles?: string[] }): Promise<Record<string, string>>;
}

export const STAFF_SCOPES = 'customers:read customers:pii orders:read';

export async function createTestIdentity(): Promise<TestIdentity> {
  const signer = await createTestSigner();
  const user = async (claims: { sub?: string; scope?: string; roles?: string[] } = {}) => ({ authorization: `Bearer ${await signer.mint({ sub: '1', ...claims })}` });
  return {
    policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } },
    staff: await user({ sub: '7', scope: STAFF_SCOPES, roles: ['support'] }),
    user,
  };
}

/** Every scope the partner routes and the demo services' rules know of. */
export const ALL_PARTNER_SCOPES = ['orders:read', 'orders:write', 'customers:read', 'customers:pii'];

/** A partner API key holding `scopes`, and the BFF authentication that knows it. */
export function createPartnerCredentials(scopes: readonly string[] = ALL_PARTNER_SCOPES): { policies: PolicySettings; headers: Record<string, string> } {
  const { key, record } = generateApiKey({ clientId: 'test-partner', plan: 'pro', scopes: [...scopes] });
  return { policies: { authn: { apiKeys: { records: [record] } } }, headers: { 'x-api-key': key } };
}

/**
 * Identity headers of a back-office user, for calling a demo service directly as the
 * gateway would after verifying such a caller (the services trust these headers only
 * because nothing but the gateway can reach them).
 */
export const STAFF_IDENTITY_HEADERS: Readonly<Record<string, string>> = {
  'x-principal-kind': 'user',
  'x-user-id': '7',
  'x-user-roles': 'support',
  'x-user-scopes': STAFF_SCOPES,
};
