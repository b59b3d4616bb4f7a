/**
 * The manifest schema, the policy type and the environment reader are composed from the
 * policies the pipeline lists: a policy is its folder plus one line in `PIPELINE`.
 */
import { PolicySettingsSchema, validateManifest, type BffManifest } from '../../shared/manifest';
import { PIPELINE, PIPELINE_POLICIES } from '../../shared/pipeline';
import { POLICY_ENV_MAPPINGS, policiesEnvSpec } from '../../shared/config/policies-env';
import { DEFAULT_SERVER_SETTINGS } from '../../shared/manifest';

const manifestWith = (policies: Record<string, unknown>): BffManifest =>
  ({ name: 'probe', server: DEFAULT_SERVER_SETTINGS, routes: { kind: 'rest', upstreams: {}, versions: [] }, policies }) as unknown as BffManifest;

describe('policies composed from the pipeline', () => {
  it('lists each policy once, in the order of its first stage', () => {
    const firstStage = PIPELINE_POLICIES.map((policy) => PIPELINE.findIndex((stage) => 'policy' in stage && stage.policy === policy));
    expect(firstStage.every((index) => index >= 0)).toBe(true);
    expect([...firstStage].sort((a, b) => a - b)).toEqual(firstStage);
    expect(new Set(PIPELINE_POLICIES).size).toBe(PIPELINE_POLICIES.length);
    expect(PIPELINE_POLICIES.map((p) => p.name)).toEqual(['edge', 'authentication', 'rate limit', 'response cache', 'circuit breakers']);
  });

  it('the manifest schema has exactly the keys the policies own, no key owned twice', () => {
    const owned = PIPELINE_POLICIES.flatMap((policy) => Object.keys(policy.settings));
    expect(new Set(owned).size).toBe(owned.length);
    expect(Object.keys(PolicySettingsSchema.properties).sort()).toEqual([...owned].sort());
  });

  it("every environment mapping decides only keys of its own policy, and its variables are read", () => {
    for (const policy of PIPELINE_POLICIES) {
      for (const mapping of policy.env) {
        for (const key of Object.keys(mapping.settingsKeys)) expect([policy.name, Object.keys(policy.settings)]).toEqual([policy.name, expect.arrayContaining([key])]);
      }
    }
    const variables = POLICY_ENV_MAPPINGS.flatMap((m) => Object.keys(m.spec));
    expect(new Set(Object.keys(policiesEnvSpec))).toEqual(new Set(variables));
  });

  it("runs each policy's own checks and refuses keys no policy owns", () => {
    expect(validateManifest(manifestWith({ rateLimit: { routes: { nonsense: { limit: 1, windowMs: 1000 } } } }))).toEqual([expect.stringContaining(`policies.rateLimit.routes: 'nonsense' must be "<METHOD> <path>"`)]);
    expect(validateManifest(manifestWith({ authn: {} }))).toEqual([expect.stringContaining('policies.authn needs jwt, introspection or apiKeys')]);
    expect(validateManifest(manifestWith({ cors: { origins: ['*'], credentials: true } })).join('\n')).toMatch(/credentials/);
    expect(validateManifest(manifestWith({ rateLimits: {} }))).toEqual([expect.stringMatching(/policies: unknown key 'rateLimits'/)]);
  });
});
