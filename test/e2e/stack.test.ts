/**
 * The whole demo stack as `npm start` runs it: eight real processes, started by the
 * launcher, answering a cross-service query and partner calls, then stopped cleanly.
 * Ports are remapped to free ones so the test never collides with a running stack;
 * the BFFs find their upstreams through the same URL overrides docker-compose uses.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { STACK, type StackProcess } from '../../bffs/dev/stack';
import { startStack, type RunningStack } from '../../bffs/dev/stack-runner';
import { SUBGRAPH_GRAPHQL_PATH, SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { createApiKeyInFile } from '../../shared/dev/api-key-file';
import { ensureDevKeys, mintDevToken } from '../../shared/dev/dev-keys';
import { MOBILE_TRUSTED_DOCUMENTS } from '../../bffs/mobile/manifest';
import { loadTrustedDocuments } from '../../shared/graphql/trusted-documents';
import { DEMO_USERS, PARTNER_CLIENT, WEB_CLIENT } from '../../supergraph/authorization-server/demo-clients';
import { http, postGraphql } from '../helpers/http';
import { unusedPort } from '../helpers/recording-upstream';

async function remapPorts(stack: readonly StackProcess[]): Promise<StackProcess[]> {
  const ports = new Map<string, number>();
  for (const p of stack) ports.set(p.name, await unusedPort());
  const subgraphEnv = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`SUBGRAPH_URL_${n.toUpperCase()}`, `http://127.0.0.1:${ports.get(n)}${SUBGRAPH_GRAPHQL_PATH}`]));
  const upstreamEnv = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`UPSTREAM_URL_${n.toUpperCase()}`, `http://127.0.0.1:${ports.get(n)}`]));
  return stack.map((p) => {
    const port = ports.get(p.name) as number;
    const jwks = { JWT_JWKS_URL: `http://127.0.0.1:${ports.get('accounts')}/.well-known/jwks.json` };
    const introspection: Record<string, string> = p.env.INTROSPECTION_URL ? { INTROSPECTION_URL: `http://127.0.0.1:${ports.get('authorization-server')}/oauth/introspect` } : {};
    const extra = p.name === 'partner' ? { ...upstreamEnv, ...subgraphEnv, ...introspection } : p.kind === 'bff' ? { ...subgraphEnv, ...jwks, ...introspection } : {};
    return { ...p, port, env: { ...p.env, ...extra, PORT: String(port) } };
  });
}

describe('the demo stack', () => {
  let stack: RunningStack | undefined;
  const exits: string[] = [];
  let startupMs = 0;

  let token = '';
  let apiKey = '';

  beforeAll(async () => {
    // The same dev credentials `npm start` prints.
    const keys = await ensureDevKeys();
    token = await mintDevToken({ sub: '1' });
    apiKey = createApiKeyInFile(keys.apiKeysFile, { clientId: 'e2e-test', plan: 'pro', scopes: ['orders:read'] }, { replaceClient: true }).key;
    const started = Date.now();
    stack = await startStack({
      processes: await remapPorts(STACK),
      host: '127.0.0.1',
      env: { LOG_LEVEL: 'warn' },
      onUnexpectedExit: (name) => exits.push(name),
    });
    startupMs = Date.now() - started;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('starts every process and reports it ready', async () => {
    expect(Object.keys(stack?.urls ?? {}).sort()).toEqual(STACK.map((p) => p.name).sort());
    for (const name of ['web', 'mobile', 'partner']) {
      expect((await http(`${stack?.urls[name]}/readyz`)).status).toBe(200);
    }
    process.stdout.write(`stack startup: ${startupMs} ms\n`);
  });

  it('answers a cross-service query on web and the home screen on mobile', async () => {
    // The user list is back-office data: a support user holding customers:read may list it.
    const staff = await mintDevToken({ sub: '7', roles: ['support'], scope: 'customers:read' });
    const query = '{ users(first: 2) { name reviews { body product { name price inStock shippingEstimate } } } }';
    const res = await postGraphql(stack?.urls.web as string, query, undefined, { authorization: `Bearer ${staff}` });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data.users[0].reviews[0].product).toEqual({ name: expect.any(String), price: expect.any(Number), inStock: expect.any(Boolean), shippingEstimate: expect.any(Number) });
    // The mobile app runs its registered home-screen operation by id.
    const home = [...loadTrustedDocuments(MOBILE_TRUSTED_DOCUMENTS).values()].find((d) => d.name === 'HomeScreen');
    const mobile = await http(`${stack?.urls.mobile}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: home?.id }),
    });
    expect(mobile.status).toBe(200);
    expect(mobile.json.data.me.orders.length).toBeGreaterThan(0);
    // The verified token subject reaches the accounts service as the signed-in user.
    const seven = await http(`${stack?.urls.mobile}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await mintDevToken({ sub: '7' })}` },
      body: JSON.stringify({ id: home?.id }),
    });
    expect(seven.json.data.me.id).toBe('7');
    expect(mobile.json.data.topProducts[0]).toMatchObject({ inStock: expect.any(Boolean), shippingEstimate: expect.any(Number) });
  });

  it('serves partner passthrough and the order aggregate', async () => {
    const headers = { 'x-api-key': apiKey };
    expect((await http(`${stack?.urls.partner}/v1/products?limit=3`)).status).toBe(401);
    const products = await http(`${stack?.urls.partner}/v1/products?limit=3`, { headers });
    expect(products.status).toBe(200);
    expect(products.json.items).toHaveLength(3);
    const order = await http(`${stack?.urls.partner}/v1/orders/1`, { headers });
    expect(order.status).toBe(200);
    expect(order.json).toMatchObject({ order_id: '1', customer_name: expect.any(String) });
  });

  it('accepts an opaque token from the demo authorization server on partner and web', async () => {
    const issued = await http(`${stack?.urls['authorization-server']}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${PARTNER_CLIENT.clientId}:${PARTNER_CLIENT.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=orders%3Aread',
    });
    expect(issued.status).toBe(200);
    const bearer = { authorization: `Bearer ${issued.json.access_token}` };
    const order = await http(`${stack?.urls.partner}/v1/orders/1`, { headers: bearer });
    expect(order.status).toBe(200);
    expect(order.json).toMatchObject({ order_id: '1' });
    const user = await http(`${stack?.urls['authorization-server']}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${WEB_CLIENT.clientId}:${WEB_CLIENT.clientSecret}`).toString('base64')}` },
      body: `grant_type=password&username=${DEMO_USERS[1]?.username}&password=${DEMO_USERS[1]?.password}`,
    });
    const me = await postGraphql(stack?.urls.web as string, '{ me { id } }', undefined, { authorization: `Bearer ${user.json.access_token}` });
    expect(me.json).toEqual({ data: { me: { id: DEMO_USERS[1]?.sub } } });
  });

  it("walks a new user's first steps: a captured token, the IDE page, the partner index, CLI help", async () => {
    const root = path.join(__dirname, '../..');
    const captured = execFileSync('npm', ['run', '-s', 'token', '--', '--sub', '7'], { cwd: root, encoding: 'utf8' });
    expect(captured.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const me = await postGraphql(stack?.urls.web as string, '{ me { id } }', undefined, { authorization: `Bearer ${captured.trim()}` });
    expect(me.json).toEqual({ data: { me: { id: '7' } } });
    const ide = await http(`${stack?.urls.web}/graphql`, { headers: { accept: 'text/html' } });
    expect(ide.status).toBe(200);
    expect(ide.text).toContain('npm run -s token');
    const index = await http(`${stack?.urls.partner}/`);
    expect(index.status).toBe(200);
    expect(index.json.versions.map((v: { version: string; status: string }) => `${v.version}:${v.status}`)).toEqual(['v1:deprecated', 'v2:current']);
    for (const cli of ['token', 'apikey']) {
      expect(execFileSync('npm', ['run', '-s', cli, '--', '--help'], { cwd: root, encoding: 'utf8' })).toMatch(/^Usage: npm run -s /);
    }
  }, 60_000);

  it('binds tokens to their BFF: a user token is refused by partner, a partner client token by web and mobile', async () => {
    const partnerTokenRes = await http(`${stack?.urls['authorization-server']}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${PARTNER_CLIENT.clientId}:${PARTNER_CLIENT.clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    const clientBearer = { authorization: `Bearer ${partnerTokenRes.json.access_token}` };
    for (const bff of ['web', 'mobile']) {
      const refused = await postGraphql(stack?.urls[bff] as string, '{ me { id } }', undefined, clientBearer);
      expect({ bff, status: refused.status, code: refused.json.code }).toEqual({ bff, status: 401, code: 'AUTH_TOKEN_WRONG_AUDIENCE' });
    }
    // A dev user JWT (for web and mobile): partner does not take JWTs at all, and refuses the user's opaque token by audience.
    const userTokenRes = await http(`${stack?.urls['authorization-server']}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${WEB_CLIENT.clientId}:${WEB_CLIENT.clientSecret}`).toString('base64')}` },
      body: `grant_type=password&username=${DEMO_USERS[0]?.username}&password=${DEMO_USERS[0]?.password}`,
    });
    for (const bearer of [userTokenRes.json.access_token, token]) {
      const refused = await http(`${stack?.urls.partner}/v1/products/1`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(refused.status).toBe(401);
      expect(['AUTH_TOKEN_WRONG_AUDIENCE', 'AUTH_TOKEN_INACTIVE']).toContain(refused.json.code);
    }
    const mobileOnly = await mintDevToken({ sub: '1', audience: 'portico-mobile' });
    expect((await postGraphql(stack?.urls.web as string, '{ me { id } }', undefined, { authorization: `Bearer ${mobileOnly}` })).json.code).toBe('AUTH_TOKEN_WRONG_AUDIENCE');
  });

  it('stops every process cleanly', async () => {
    await stack?.stop();
    const urls = Object.values(stack?.urls ?? {});
    stack = undefined;
    for (const url of urls) await expect(http(`${url}/healthz`)).rejects.toThrow();
    expect(exits).toEqual([]);
  }, 60_000);
});
