import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { ConfigError } from '../../shared/config/env';
import { DEFAULT_SERVER_SETTINGS, nodeServerTimeouts, serverSemantics } from '../../shared/server-settings';
import { webManifest } from '../../bffs/web/manifest';

describe('server timeouts', () => {
  it('bounds the headers below the whole request by default', () => {
    expect(DEFAULT_SERVER_SETTINGS.headersTimeoutMs).toBeLessThan(DEFAULT_SERVER_SETTINGS.requestTimeoutMs);
    expect(serverSemantics(DEFAULT_SERVER_SETTINGS)).toEqual([]);
  });

  it('refuses a headers timeout that is not below the request timeout, naming both keys', () => {
    expect(serverSemantics({ ...DEFAULT_SERVER_SETTINGS, requestTimeoutMs: 5_000, headersTimeoutMs: 5_000 })).toEqual([
      'server.headersTimeoutMs (5000) must be below server.requestTimeoutMs (5000): set HEADERS_TIMEOUT_MS lower or REQUEST_TIMEOUT_MS higher',
    ]);
  });

  it('reads the timeouts and the drain delay from the environment and refuses a bad pair at start', () => {
    const manifest = graphqlManifestFromEnv(webManifest, { AUTH: 'off', REQUEST_TIMEOUT_MS: '8000', HEADERS_TIMEOUT_MS: '3000', SHUTDOWN_DRAIN_DELAY_MS: '0' });
    expect(manifest.server).toMatchObject({ requestTimeoutMs: 8_000, headersTimeoutMs: 3_000, shutdownDrainDelayMs: 0 });
    let error: unknown;
    try {
      graphqlManifestFromEnv(webManifest, { AUTH: 'off', REQUEST_TIMEOUT_MS: '8000', HEADERS_TIMEOUT_MS: '9000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/server\.headersTimeoutMs \(9000\) must be below server\.requestTimeoutMs \(8000\)/);
    expect(() => graphqlManifestFromEnv(webManifest, { AUTH: 'off', SHUTDOWN_DRAIN_DELAY_MS: '-1' })).toThrow(/SHUTDOWN_DRAIN_DELAY_MS="-1": must be between 0 and/);
  });

  it('has Node look for late requests often enough to answer within a second of the deadline', () => {
    const options = nodeServerTimeouts({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000 });
    expect(options).toMatchObject({ requestTimeout: 30_000, headersTimeout: 10_000 });
    expect(options.connectionsCheckingInterval).toBeLessThanOrEqual(500);
    // A tiny headers timeout is checked at least as often as it lasts.
    expect(nodeServerTimeouts({ requestTimeoutMs: 200, headersTimeoutMs: 100 }).connectionsCheckingInterval).toBe(100);
  });
});
