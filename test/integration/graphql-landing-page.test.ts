/**
 * The GraphQL IDE in development: a browser opening /graphql gets the page without
 * credentials, pre-filled with where to get a token; operations still need a token, even
 * when dressed as a browser navigation; production never serves the page.
 */
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let subgraphs: RunningSubgraphs;
let signer: TestSigner;
let dev: RunningBff;
let production: RunningBff;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  signer = await createTestSigner();
  const policies = { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } };
  dev = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls, introspection: true, production: false }, policies });
  production = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls, introspection: false, production: true }, policies });
});

afterAll(async () => {
  await dev?.close();
  await production?.close();
  await subgraphs?.close();
});

describe('GraphQL IDE page', () => {
  it('is served to a browser without credentials in development, with a token hint', async () => {
    const res = await http(`${dev.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('embeddableSandbox');
    expect(res.text).toContain('npm run -s token');
  });

  it('runs no operation for an anonymous browser request that carries one', async () => {
    const res = await http(`${dev.url}/graphql?query=${encodeURIComponent('{ users(first: 5) { email } }')}`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).not.toContain('@example.com');
    expect(res.text).not.toContain('"data"');
  });

  it('still asks for a token on operations sent as JSON, by GET or POST', async () => {
    const get = await http(`${dev.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(401);
    expect(get.json.code).toBe('AUTH_REQUIRED');
    const post = await postGraphql(dev.url, '{ me { id } }');
    expect(post.status).toBe(401);
    const token = await signer.mint({ sub: '1' });
    const authorised = await postGraphql(dev.url, '{ me { id } }', undefined, { authorization: `Bearer ${token}` });
    expect(authorised.json).toEqual({ data: { me: { id: '1' } } });
  });

  it('is never served in production', async () => {
    const res = await http(`${production.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain('embeddableSandbox');
  });
});
