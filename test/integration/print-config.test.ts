import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REDACTED, redactConfig } from '../../shared/config/print-config';
import { partnerUpstreamEnv } from '../helpers/bffs';
import { REPO_ROOT } from '../helpers/processes';

const run = promisify(execFile);

/** Runs a BFF entry with `--print-config`; resolves with its exit code and output. */
async function printConfig(bff: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, `bffs/${bff}/main.ts`), '--print-config'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const SECRETS = {
  INTROSPECTION_URL: 'http://127.0.0.1:4106/oauth/introspect',
  INTROSPECTION_CLIENT_ID: 'portico-gateway',
  INTROSPECTION_CLIENT_SECRET: 'introspection-s3cret',
  METRICS_TOKEN: 'metrics-s3cret',
  REDIS_URL: 'redis://:redis-s3cret@127.0.0.1:6390/0',
  RESPONSE_CACHE: 'redis',
  RESPONSE_CACHE_REDIS_URL: 'redis://cache:cache-s3cret@127.0.0.1:6390/1',
};

describe('--print-config', () => {
  it.each(['web', 'mobile', 'partner'])('%s prints its effective configuration with secrets redacted, then exits 0 without listening', async (bff) => {
    // The partner's code names its upstreams; the environment places them.
    const placed = bff === 'partner' ? partnerUpstreamEnv('http://orders.internal:4105') : {};
    const { code, stdout, stderr } = await printConfig(bff, { ...SECRETS, ...placed, PORT: '4999', RATE_LIMIT_PER_MIN: '42' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const config = JSON.parse(stdout);
    expect(config.name).toBe(bff);
    // The environment is applied: the printed configuration is the one the process would run.
    expect(config.server.port).toBe(4999);
    expect(config.policies.rateLimit.plans.default).toEqual({ limit: 42, windowMs: 60_000 });
    expect(config.policies.authn.introspection).toMatchObject({ clientId: 'portico-gateway', clientSecret: REDACTED });
    expect(config.server.metrics.token).toBe(REDACTED);
    expect(config.policies.rateLimit.store.url).toBe(`redis://:${encodeURIComponent(REDACTED)}@127.0.0.1:6390/0`);
    expect(config.policies.responseCache.store.url).toBe(`redis://cache:${encodeURIComponent(REDACTED)}@127.0.0.1:6390/1`);
    if (bff === 'partner') expect(config.routes.upstreams.orders).toEqual({ origin: 'http://orders.internal:4105', healthPath: '/healthz' });
    expect(stdout).not.toMatch(/s3cret/);
  });

  it('prints the configuration file laid over the manifest, the environment over the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portico-print-'));
    try {
      const PORTICO_CONFIG = path.join(dir, 'portico.web.yaml');
      writeFileSync(PORTICO_CONFIG, 'server:\n  port: 4100\n  metrics: { token: file-s3cret }\npolicies:\n  cors: { origins: [https://app.example.com] }\n');
      const { code, stdout } = await printConfig('web', { PORTICO_CONFIG, AUTH: 'off', HOST: '0.0.0.0' });
      expect(code).toBe(0);
      const config = JSON.parse(stdout);
      expect(config.server).toMatchObject({ port: 4100, host: '0.0.0.0', metrics: { token: REDACTED } });
      expect(config.policies.cors).toEqual({ origins: ['https://app.example.com'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a configuration error instead of printing, with exit code 1', async () => {
    const { code, stdout, stderr } = await printConfig('web', { PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('PORT="eighty": must be an integer');
  });
});

describe('redactConfig', () => {
  it("redacts API key records' hashes, secrets and URL passwords, keeps everything else", () => {
    const record = { keyId: 'k1', hash: 'a'.repeat(64), clientId: 'acme', plan: 'pro', scopes: ['orders:read'], createdAt: '2026-01-01' };
    expect(
      redactConfig({ policies: { authn: { apiKeys: { records: [record] }, jwt: { jwksUrl: 'https://idp.example/jwks', issuer: 'i', audience: 'a', now: () => 0 } } }, supergraphUrl: 'https://user:pw@registry.example/sdl' }),
    ).toEqual({
      policies: { authn: { apiKeys: { records: [{ ...record, hash: REDACTED }] }, jwt: { jwksUrl: 'https://idp.example/jwks', issuer: 'i', audience: 'a', now: '[function]' } } },
      supergraphUrl: `https://user:${encodeURIComponent(REDACTED)}@registry.example/sdl`,
    });
  });
});
