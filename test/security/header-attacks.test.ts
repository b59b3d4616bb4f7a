/**
 * Attacks carried by headers, needing no credentials: a bearer header built to make a
 * backtracking parser spin, a header block over Node's limit, a user agent built against
 * the deny patterns. Each is refused with its status and code, nothing reaches an upstream,
 * and a legitimate request sent alongside is served.
 */
import net from 'node:net';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { upstreamCallCount } from '../helpers/metrics';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner } from '../helpers/tokens';

let subgraphs: RunningSubgraphs;
let web: RunningBff;
let auth: Record<string, string>;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  const signer = await createTestSigner();
  auth = { authorization: `Bearer ${await signer.mint({ sub: '1' })}` };
  web = await startWebBff({
    graphql: { subgraphUrls: subgraphs.urls },
    policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } }, accessRules: { denyUserAgents: ['^sqlmap', 'nikto'] } },
  });
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
});

function rawStatus(url: string, text: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(text));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(received.split(' ')[1])));
  });
}

describe('header attacks', () => {
  it('refuses a 15,000-character pathological bearer header in one pass, ten at a time', async () => {
    const before = await upstreamCallCount(web.app as never);
    const header = { authorization: `Bearer a.${'a'.repeat(15_000)}!` };
    const [ordinary, ...attacks] = await Promise.all([postGraphql(web.url, '{ me { id } }', undefined, auth), ...Array.from({ length: 10 }, () => postGraphql(web.url, '{ me { id } }', undefined, header))]);
    for (const attack of attacks) expect({ status: attack.status, code: attack.json.code }).toEqual({ status: 401, code: 'AUTH_TOKEN_INVALID' });
    expect(ordinary.json).toEqual({ data: { me: { id: '1' } } });
    expect((await upstreamCallCount(web.app as never)) - before).toBe(1);
  });

  it('refuses a header block over the limit with 431', async () => {
    const many = Array.from({ length: 400 }, (_, i) => `x-h${i}: ${'v'.repeat(60)}\r\n`).join('');
    expect(await rawStatus(web.url, `GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\n`)).toBe(431);
    expect((await http(`${web.url}/healthz`)).status).toBe(200);
  });

  it('matches deny patterns against a capped user agent', async () => {
    const refused = await http(`${web.url}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'user-agent': `sqlmap/1.7 ${'a'.repeat(10_000)}` }, body: '{"query":"{ me { id } }"}' });
    expect({ status: refused.status, code: refused.json.code }).toEqual({ status: 403, code: 'ACCESS_DENIED' });
    const served = await http(`${web.url}/graphql`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'user-agent': `${'a'.repeat(10_000)} nikto` }, body: '{"query":"{ me { id } }"}' });
    // The pattern sits past the part that is read: the request is served, not scanned to its end.
    expect(served.status).toBe(200);
  });
});
