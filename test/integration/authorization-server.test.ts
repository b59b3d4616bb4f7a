/**
 * The demo authorization server over real HTTP: token issuance, introspection for
 * registered resource servers only, revocation, expiry, and clear OAuth errors for bad input.
 */
import { DEMO_AUTH_AUDIENCE, DEMO_AUTH_ISSUER, DEMO_CLIENTS, DEMO_USERS, GATEWAY_CLIENT, PARTNER_CLIENT, WEB_CLIENT } from '../../supergraph/authorization-server/demo-clients';
import { createAuthorizationServer } from '../../supergraph/authorization-server/server';
import { createTokenStore, type RegisteredClient } from '../../supergraph/authorization-server/token-store';
import { http, type HttpResult } from '../helpers/http';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (client: Pick<RegisteredClient, 'clientId' | 'clientSecret'>) => ({ authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` });

describe('demo authorization server', () => {
  let clockMs = Date.now();
  let url = '';
  let close: () => Promise<void>;

  const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<HttpResult> => http(`${url}${path}`, { method: 'POST', headers: { ...FORM, ...headers }, body });
  const issue = async (client: RegisteredClient, body = 'grant_type=client_credentials') => (await post('/oauth/token', body, basic(client))).json.access_token as string;
  const introspect = async (token: string) => (await post('/oauth/introspect', `token=${token}`, basic(GATEWAY_CLIENT))).json;

  beforeAll(async () => {
    const { app } = createAuthorizationServer({ clients: DEMO_CLIENTS, users: DEMO_USERS, issuer: DEMO_AUTH_ISSUER, audience: DEMO_AUTH_AUDIENCE, tokenTtlSec: 60, now: () => clockMs });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
  });

  afterAll(async () => {
    await close?.();
  });

  it('issues a client-credentials token with the requested scopes and no caching', async () => {
    const res = await post('/oauth/token', 'grant_type=client_credentials&scope=orders%3Aread', basic(PARTNER_CLIENT));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), token_type: 'Bearer', expires_in: 60, scope: 'orders:read' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(await introspect(res.json.access_token)).toEqual({
      active: true,
      scope: 'orders:read',
      client_id: 'demo-partner',
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
      nbf: expect.any(Number),
      iss: DEMO_AUTH_ISSUER,
      aud: DEMO_AUTH_AUDIENCE,
      plan: 'pro',
    });
  });

  it('accepts client credentials in the body too', async () => {
    const res = await post('/oauth/token', `grant_type=client_credentials&client_id=${PARTNER_CLIENT.clientId}&client_secret=${PARTNER_CLIENT.clientSecret}`);
    expect(res.status).toBe(200);
  });

  it('issues a user token from the password grant', async () => {
    const user = DEMO_USERS[0];
    const token = await issue(WEB_CLIENT, `grant_type=password&username=${user?.username}&password=${user?.password}`);
    expect(await introspect(token)).toMatchObject({ active: true, sub: user?.sub, username: user?.username, roles: user?.roles, tenant: user?.tenant, client_id: 'demo-web' });
  });

  it.each([
    ['wrong client secret', 'grant_type=client_credentials', basic({ clientId: PARTNER_CLIENT.clientId, clientSecret: 'nope' }), 401, 'invalid_client'],
    ['no client credentials', 'grant_type=client_credentials', {}, 401, 'invalid_client'],
    ['malformed Basic header', 'grant_type=client_credentials', { authorization: 'Basic !!!' }, 401, 'invalid_client'],
    ['missing grant type', 'scope=orders%3Aread', basic(PARTNER_CLIENT), 400, 'invalid_request'],
    ['unknown grant type', 'grant_type=authorization_code', basic(PARTNER_CLIENT), 400, 'unsupported_grant_type'],
    ['grant the client may not use', 'grant_type=password&username=demo&password=demo-password', basic(PARTNER_CLIENT), 400, 'unauthorized_client'],
    ['scope the client may not have', 'grant_type=client_credentials&scope=admin', basic(PARTNER_CLIENT), 400, 'invalid_scope'],
    ['wrong user password', 'grant_type=password&username=demo&password=guess', basic(WEB_CLIENT), 400, 'invalid_grant'],
    ['repeated parameter', 'grant_type=client_credentials&grant_type=client_credentials', basic(PARTNER_CLIENT), 400, 'invalid_request'],
  ])('refuses a token request with %s', async (_name, body, headers, status, error) => {
    const res = await post('/oauth/token', body, headers);
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ error, error_description: expect.any(String) });
    if (error === 'invalid_client') expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
  });

  it('answers bodies that are not form-encoded with a JSON error', async () => {
    const res = await http(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...basic(PARTNER_CLIENT) }, body: '{"grant_type":"client_credentials"}' });
    expect(res.status).toBe(415);
    expect(res.json.error).toBe('invalid_request');
    const empty = await http(`${url}/oauth/introspect`, { method: 'POST', headers: basic(GATEWAY_CLIENT) });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toBe('invalid_request');
  });

  it('introspects only for registered resource servers', async () => {
    const token = await issue(PARTNER_CLIENT);
    expect((await post('/oauth/introspect', `token=${token}`, basic(PARTNER_CLIENT))).status).toBe(403);
    expect((await post('/oauth/introspect', `token=${token}`, basic({ clientId: GATEWAY_CLIENT.clientId, clientSecret: 'x' }))).status).toBe(401);
    expect((await post('/oauth/introspect', 'token_type_hint=access_token', basic(GATEWAY_CLIENT))).status).toBe(400);
  });

  it('reports unknown, expired and revoked tokens as inactive', async () => {
    expect(await introspect('never-issued')).toEqual({ active: false });

    const expiring = await issue(PARTNER_CLIENT);
    clockMs += 61_000;
    expect(await introspect(expiring)).toEqual({ active: false });

    const revoked = await issue(PARTNER_CLIENT);
    expect((await post('/oauth/revoke', `token=${revoked}&token_type_hint=access_token`, basic(PARTNER_CLIENT))).status).toBe(200);
    expect(await introspect(revoked)).toEqual({ active: false });
  });

  it('revokes only tokens issued to the calling client, and answers unknown tokens with 200', async () => {
    const token = await issue(PARTNER_CLIENT);
    const other = await post('/oauth/revoke', `token=${token}`, basic(WEB_CLIENT));
    expect(other.status).toBe(400);
    expect(other.json.error).toBe('unauthorized_client');
    expect((await introspect(token)).active).toBe(true);
    expect((await post('/oauth/revoke', 'token=never-issued', basic(PARTNER_CLIENT))).status).toBe(200);
    expect((await post('/oauth/revoke', 'token=x', basic({ clientId: 'nobody', clientSecret: 'x' }))).status).toBe(401);
  });

  it('publishes its metadata and health', async () => {
    const metadata = await http(`${url}/.well-known/oauth-authorization-server`);
    expect(metadata.json).toMatchObject({ issuer: DEMO_AUTH_ISSUER, introspection_endpoint: `${url}/oauth/introspect`, revocation_endpoint: `${url}/oauth/revoke` });
    expect((await http(`${url}/healthz`)).json).toEqual({ status: 'ok', service: 'authorization-server' });
    expect((await http(`${url}/nope`)).status).toBe(404);
  });
});

describe('token store', () => {
  it('keeps at most maxTokens, dropping expired tokens first and then the oldest', () => {
    let nowMs = 1_000_000;
    const store = createTokenStore({ issuer: 'i', audience: 'a', tokenTtlSec: 10, maxTokens: 2, now: () => nowMs });
    const first = store.issue({ clientId: 'c', scope: [] }).token;
    const second = store.issue({ clientId: 'c', scope: [] }).token;
    const third = store.issue({ clientId: 'c', scope: [] }).token;
    expect(store.size).toBe(2);
    expect(store.introspect(first)).toEqual({ active: false });
    expect(store.introspect(second).active).toBe(true);
    nowMs += 11_000;
    store.issue({ clientId: 'c', scope: [] });
    expect(store.size).toBe(1);
    expect(store.introspect(third)).toEqual({ active: false });
  });
});
