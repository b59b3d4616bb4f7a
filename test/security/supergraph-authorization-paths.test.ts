/**
 * Attack class: a supergraph served with its authorization rules unread. Apollo Gateway
 * cannot load a supergraph carrying `for: SECURITY` features; Portico hands it one without
 * them, so every way a supergraph reaches a gateway must read the rules from that same
 * text: the first load, a hot reload, a URL source, the mobile contract and the partner's
 * registered operations. A rule added by a reload is enforced from the reload on, a
 * supergraph naming an undeclared @policy never serves, and only one module builds a gateway.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { SUBGRAPHS_DIR, SUPERGRAPH_FILE, composeSupergraph, loadSubgraphDefinitions } from '../../supergraph/composition';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { startMobileBff, startPartnerBff, startWebBff, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs } from '../helpers/subgraphs';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

const ROOT = path.join(__dirname, '..', '..');

/** The demo supergraph with one more rule: Product.name needs the `catalog:names` scope. */
async function supergraphWithProtectedNames(dir: string): Promise<string> {
  const fixture = path.join(dir, 'subgraphs');
  for (const name of SUBGRAPH_NAMES) await cp(path.join(SUBGRAPHS_DIR, name, 'schema.graphql'), path.join(fixture, name, 'schema.graphql'));
  const products = path.join(fixture, 'products', 'schema.graphql');
  const sdl = (await readFile(products, 'utf8'))
    .replace('federation/v2.3", import: ["@key", "@shareable", "@tag"]', 'federation/v2.6", import: ["@key", "@shareable", "@tag", "@requiresScopes", "@policy"]')
    .replace('  name: String\n', '  name: String @requiresScopes(scopes: [["catalog:names"]])\n  sku: String @policy(policies: [["nobodyDeclaredThis"]])\n');
  await writeFile(products, sdl);
  const outcome = composeSupergraph(await loadSubgraphDefinitions(fixture));
  if (!outcome.ok) throw new Error(`fixture did not compose: ${outcome.errors.map((e) => e.message).join('; ')}`);
  return outcome.supergraphSdl;
}

async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 100 && !accept(value); i++) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}

const unauthorized = (res: { json: { errors?: Array<{ extensions: { code: string } }> } }) => res.json.errors?.some((e) => e.extensions.code === 'UNAUTHORIZED_FIELD_OR_TYPE') ?? false;

describe('no path serves a supergraph with its rules unenforced', () => {
  let subgraphs: Subgraphs;
  let dir: string;
  let protectedNames: string;
  let protectedNamesDeclared: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    dir = await mkdtemp(path.join(tmpdir(), 'portico-authz-paths-'));
    protectedNames = await supergraphWithProtectedNames(dir);
    // The same rule with only declared policies (the BFFs declare backOffice).
    protectedNamesDeclared = protectedNames.replace(/nobodyDeclaredThis/g, 'backOffice');
  });

  afterAll(async () => {
    await subgraphs?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the committed supergraph carries the security links that Apollo Gateway alone refuses', async () => {
    expect(await readFile(SUPERGRAPH_FILE, 'utf8')).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/requiresScopes\/v0\.1", for: SECURITY\)/);
  });

  it('first load: an anonymous caller gets no @authenticated data', async () => {
    const web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls } });
    try {
      const [denied, ordinary] = await Promise.all([postGraphql(web.url, '{ me { orders { id } } }'), postGraphql(web.url, '{ product(upc: "1") { name } }')]);
      expect(unauthorized(denied)).toBe(true);
      expect(ordinary.json.data.product.name).toEqual(expect.any(String));
    } finally {
      await web.close();
    }
  });

  it('hot reload: a rule added by the new supergraph is enforced as soon as it serves; an undeclared policy is refused', async () => {
    const supergraphPath = path.join(dir, 'reload.graphql');
    await cp(SUPERGRAPH_FILE, supergraphPath);
    const web = await startWebBff({ graphql: { supergraphPath, subgraphUrls: subgraphs.urls, watchSupergraphMs: 50 } });
    try {
      expect((await postGraphql(web.url, '{ product(upc: "1") { name } }')).json.data.product.name).toEqual(expect.any(String));
      await writeFile(supergraphPath, protectedNames);
      const refused = await eventually(() => http(`${web.url}/readyz`), (r) => String(r.json.checks.supergraph.detail).includes('refused'));
      expect(refused.json.checks.supergraph.detail).toMatch(/refused/);
      expect((await postGraphql(web.url, '{ product(upc: "1") { name } }')).json.data.product.name).toEqual(expect.any(String));
      await writeFile(supergraphPath, protectedNamesDeclared);
      const res = await eventually(() => postGraphql(web.url, '{ product(upc: "1") { upc name } }'), unauthorized);
      expect(res.json.data.product).toEqual({ upc: '1', name: null });
    } finally {
      await web.close();
    }
  });

  it('URL source: the fetched text is what the rules are read from', async () => {
    let served = protectedNamesDeclared;
    const server: Server = createServer((_req, res) => res.end(served));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const web = await startWebBff({ graphql: { supergraphUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/supergraph`, subgraphUrls: subgraphs.urls, watchSupergraphMs: 0 } });
    try {
      const res = await postGraphql(web.url, '{ product(upc: "1") { upc name } }');
      expect(res.json.data.product).toEqual({ upc: '1', name: null });
      expect(unauthorized(res)).toBe(true);
    } finally {
      served = '';
      await web.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a supergraph naming an undeclared @policy never serves (load error)', async () => {
    const supergraphPath = path.join(dir, 'undeclared.graphql');
    await writeFile(supergraphPath, protectedNames);
    const web = await startWebBff({ graphql: { supergraphPath, subgraphUrls: subgraphs.urls }, ready: false });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const ready = await http(`${web.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.json.checks.supergraph).toEqual({ ok: false, detail: 'supergraph failed to load' });
      expect((await postGraphql(web.url, '{ product(upc: "1") { name } }')).json.code).toBe('NOT_READY');
    } finally {
      await web.close();
    }
  });

  it('contract: mobile enforces the rules of the supergraph it executes against', async () => {
    const mobile = await startMobileBff({ graphql: { subgraphUrls: subgraphs.urls } });
    try {
      await waitForSupergraph(mobile);
      const res = await postGraphql(mobile.url, '{ me { id orders(first: 1) { id } } }');
      expect(res.json.data.me).toEqual({ id: '1', orders: null });
      expect(unauthorized(res)).toBe(true);
    } finally {
      await mobile.close();
    }
  });

  it('partner operations: the registered query runs under the caller’s rights, and an undeclared policy stops the start', async () => {
    const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }]));
    const key = generateApiKey({ clientId: 'p', plan: 'pro', scopes: ['customers:read', 'orders:read'] });
    const supergraphPath = path.join(dir, 'partner.graphql');
    await writeFile(supergraphPath, protectedNames);
    const { partnerManifest } = await import('../../bffs/partner/manifest');
    const { buildServer } = await import('../../bffs/partner/server');
    await expect(
      buildServer({ ...partnerManifest, server: { ...partnerManifest.server, logLevel: 'silent' }, routes: { ...partnerManifest.routes, upstreams, graphql: { ...partnerManifest.routes.graphql!, supergraphPath } } }),
    ).rejects.toThrow(/nobodyDeclaredThis/);
    const partner = await startPartnerBff(upstreams, { policies: { authn: { apiKeys: { records: [key.record] } } } });
    try {
      const res = await http(`${partner.url}/v2/customers/7`, { headers: { 'x-api-key': key.key } });
      expect(res.status).toBe(200);
      expect(res.json.recentOrders.length).toBeGreaterThan(0);
    } finally {
      await partner.close();
    }
  });

  it('only the authorized-gateway module builds an Apollo Gateway', async () => {
    const offenders: string[] = [];
    const walk = async (dirPath: string): Promise<void> => {
      for (const entry of await readdir(dirPath, { withFileTypes: true })) {
        const full = path.join(dirPath, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) await walk(full);
        } else if (entry.name.endsWith('.ts') && /new ApolloGateway\(/.test(await readFile(full, 'utf8'))) offenders.push(path.relative(ROOT, full));
      }
    };
    for (const top of ['shared', 'bffs', 'supergraph', 'test']) await walk(path.join(ROOT, top));
    // The bench's baseline contestant is plain Apollo Gateway, not a Portico server: it is measured without Portico's enforcement.
    // The federation fixtures' executors run gateways over test supergraphs that carry no authorization rules, to compare executors.
    const notServers = new Set(['test/bench/apollo-baseline.ts', 'test/federation-fixtures/executors.ts']);
    expect(offenders.filter((f) => !f.endsWith('supergraph-authorization-paths.test.ts') && !notServers.has(f))).toEqual(['shared/graphql/authorization/authorized-gateway.ts']);
  });
});
