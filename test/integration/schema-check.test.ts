/**
 * The schema checker on fixture variants of the real subgraphs: what passes, what fails,
 * and that each failure names the operation, its file, the field, the subgraph and, for
 * partner operations, the REST route.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTRACTS, printContract } from '../../supergraph/contracts';
import { SUBGRAPHS_DIR, SUPERGRAPH_FILE, composeSupergraph, loadSubgraphDefinitions } from '../../supergraph/composition';
import { readClientOperations, registeredOperations } from '../../supergraph/schema-check/registered-operations';
import { MOBILE_CLIENT_MANIFESTS, MOBILE_TRUSTED_DOCUMENTS } from '../../bffs/mobile/manifest';
import { PARTNER_OPERATIONS_DIR, partnerManifest } from '../../bffs/partner/manifest';
import { WEB_OPERATIONS_DIR } from '../../bffs/web/manifest';
import { formatReport, runSchemaCheck, type RegisteredOperation, type SchemaCheckInput, type SchemaCheckReport } from '../../supergraph/schema-check/schema-check';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';

let dir: string;
let baseSdl: string;

beforeAll(async () => {
  baseSdl = await readFile(SUPERGRAPH_FILE, 'utf8');
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-schema-check-'));
  for (const name of SUBGRAPH_NAMES) await cp(path.join(SUBGRAPHS_DIR, name, 'schema.graphql'), path.join(dir, name, 'schema.graphql'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function edit(subgraph: string, from: string | RegExp, to: string): Promise<void> {
  const file = path.join(dir, subgraph, 'schema.graphql');
  const text = await readFile(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`fixture edit did not apply to ${subgraph}`);
  await writeFile(file, next);
}

/** The check's input as CI builds it after `npm run supergraph:compose` on the fixture (committed files current). */
async function checkInput(extraOperations: RegisteredOperation[] = [], opts: { committedSupergraph?: string; allowBreaking?: string } = {}): Promise<SchemaCheckInput> {
  const definitions = await loadSubgraphDefinitions(dir);
  const composed = composeSupergraph(definitions);
  const supergraph = composed.ok ? composed.supergraphSdl : '';
  return {
    definitions,
    committed: { supergraph: opts.committedSupergraph ?? supergraph, contracts: composed.ok ? Object.fromEntries(Object.keys(CONTRACTS).map((n) => [n, printContract(n, supergraph)])) : {} },
    base: { sdl: baseSdl, label: 'main' },
    operations: [...registeredOperations(), ...extraOperations],
    ...(opts.allowBreaking ? { allowBreaking: opts.allowBreaking } : {}),
  };
}

async function check(extraOperations: RegisteredOperation[] = [], opts: { committedSupergraph?: string; allowBreaking?: string } = {}): Promise<SchemaCheckReport> {
  return runSchemaCheck(await checkInput(extraOperations, opts));
}

describe('schema check', () => {
  it('passes the repository as it is', async () => {
    const report = await check();
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.operations.checked).toBeGreaterThanOrEqual(7);
  });

  it('passes a safe addition and classifies it', async () => {
    await edit('products', '  category: String\n', '  category: String\n  "Colour name."\n  color: String\n');
    const report = await check();
    expect(report.ok).toBe(true);
    expect(report.diff.changes).toContainEqual(expect.objectContaining({ level: 'safe', path: 'Product.color', subgraphs: ['products'] }));
  });

  it('fails when a field used by a mobile trusted document is removed, naming the document', async () => {
    await edit('inventory', /  "Units on hand."\n  quantity: Int\n/, '');
    const report = await check();
    expect(report.ok).toBe(false);
    const change = report.diff.changes.find((c) => c.path === 'Product.quantity');
    expect(change).toMatchObject({ level: 'breaking', subgraphs: ['inventory'] });
    expect(change?.usedBy).toContainEqual({ client: 'mobile', operation: 'ProductDetail', file: 'bffs/mobile/operations/ProductDetail.graphql' });
    expect(report.failures.join('\n')).toMatch(/mobile operation 'ProductDetail' \(bffs\/mobile\/operations\/ProductDetail\.graphql\)/);
    const text = formatReport(report);
    expect(text).toContain('Schema check FAILED');
    expect(text).toContain("used by mobile operation 'ProductDetail' (bffs/mobile/operations/ProductDetail.graphql)");
  });

  it("fails when a field used by an imported app version's manifest is removed, naming the manifest", async () => {
    const portico = JSON.parse(await readFile(MOBILE_TRUSTED_DOCUMENTS, 'utf8')) as { operations: Array<{ id: string; name: string; body: string }> };
    const imported = path.join(dir, 'client-manifests');
    await mkdir(path.join(imported, 'ios'), { recursive: true });
    await writeFile(
      path.join(imported, 'ios', '5.2.0.json'),
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: portico.operations.map(({ id, name, body }) => ({ id, name, type: 'query', body })) }),
    );
    const fromManifests = registeredOperations([{ client: 'mobile', schema: 'contract:mobile', clientManifests: imported }]);
    expect(fromManifests.map((o) => o.name).sort()).toEqual(['HomeScreen', 'OrderHistory', 'ProductDetail']);
    await edit('inventory', /  "Units on hand."\n  quantity: Int\n/, '');
    const report = await check(fromManifests);
    expect(report.ok).toBe(false);
    const file = path.relative(path.resolve(__dirname, '../..'), path.join(imported, 'ios', '5.2.0.json'));
    expect(report.diff.changes.find((c) => c.path === 'Product.quantity')?.usedBy).toContainEqual({ client: 'mobile', operation: 'ProductDetail', file });
    expect(report.failures.join('\n')).toContain(`mobile operation 'ProductDetail' (${file})`);
  });

  it('passes with a warning when a removed field is used by no registered operation', async () => {
    await edit('accounts', /  "ISO 8601 timestamp of sign-up\. Needs the `customers:pii` scope\."\n  createdAt: String @tag\(name: "internal"\) @requiresScopes\(scopes: \[\["customers:pii"\]\]\)\n/, '');
    const report = await check();
    expect(report.ok).toBe(true);
    expect(report.warnings.join('\n')).toMatch(/breaking change used by no registered operation: Field 'createdAt' was removed from object type 'User' \[User.createdAt, subgraph accounts\]/);
  });

  it('fails when a field type used by a partner v1 route changes, naming the route', async () => {
    await edit('orders', '  totalCents: Int!', '  totalCents: Float!');
    const partnerV1: RegisteredOperation = {
      client: 'partner',
      name: 'OrderTotals',
      file: 'bffs/partner/operations/OrderTotals.graphql',
      document: 'query OrderTotals($id: ID!) { order(id: $id) { id totalCents } }',
      schema: 'supergraph',
      routes: ['GET /v1/orders/:id/totals'],
    };
    const report = await check([partnerV1]);
    expect(report.ok).toBe(false);
    const change = report.diff.changes.find((c) => c.path === 'Order.totalCents');
    expect(change).toMatchObject({ level: 'breaking', subgraphs: ['orders'] });
    expect(change?.usedBy).toContainEqual({ client: 'partner', operation: 'OrderTotals', file: 'bffs/partner/operations/OrderTotals.graphql', routes: ['GET /v1/orders/:id/totals'] });
    expect(report.failures.join('\n')).toMatch(/route GET \/v1\/orders\/:id\/totals/);
  });

  it('accepts an intentional breaking change only with a recorded reason', async () => {
    await edit('inventory', /  "Units on hand."\n  quantity: Int\n/, '');
    const report = await check([], { allowBreaking: 'quantity moves to the warehouse API (ticket 1234)' });
    expect(report.ok).toBe(true);
    expect(report.allowedBreaking).toBe('quantity moves to the warehouse API (ticket 1234)');
    expect(report.warnings.some((w) => w.startsWith('allowed (quantity moves'))).toBe(true);
  });

  it('fails a composition conflict, naming both subgraphs', async () => {
    await edit('reviews', 'type Product @key(fields: "upc") {\n  upc: String!', 'type Product @key(fields: "upc") {\n  upc: String!\n  name: Int!');
    const report = await check();
    expect(report.ok).toBe(false);
    expect(report.composition.ok).toBe(false);
    expect(report.failures.join('\n')).toMatch(/"products".*"reviews"|"reviews".*"products"/);
  });

  it('classifies a field that only loses its `!` as dangerous, naming the operations that select it', async () => {
    const strict = await check();
    const report = await runSchemaCheck({
      definitions: await loadSubgraphDefinitions(dir),
      committed: { supergraph: baseSdl, contracts: Object.fromEntries(Object.keys(CONTRACTS).map((n) => [n, printContract(n, baseSdl)])) },
      // The base declared Product.quantity non-null; the change under review loosens it.
      base: { sdl: baseSdl.replace('quantity: Int @join__field', 'quantity: Int! @join__field'), label: 'main' },
      operations: registeredOperations(),
    });
    expect(strict.diff.changes).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.diff.changes).toEqual([
      expect.objectContaining({ level: 'dangerous', path: 'Product.quantity', subgraphs: ['inventory'], usedBy: [{ client: 'mobile', operation: 'ProductDetail', file: 'bffs/mobile/operations/ProductDetail.graphql' }] }),
    ]);
    expect(report.warnings).toContainEqual(expect.stringMatching(/^dangerous change \(nullability loosened\): Field 'Product.quantity' changed type from 'Int!' to 'Int'; selected by mobile operation 'ProductDetail'/));
  });

  it('warns about a non-null field another subgraph resolves, naming both subgraphs and the operations selecting it', async () => {
    await edit('inventory', '  inStock: Boolean\n', '  inStock: Boolean!\n');
    const report = await check();
    expect(report.ok).toBe(true);
    expect(report.nullability.map((n) => [n.parentSubgraph, n.parentFields, n.usedBy.map((u) => u.operation)])).toEqual([
      ['orders', ['OrderItem.product'], []],
      ['products', ['Query.topProducts', 'Query.product', 'Query.products'], ['ProductPage', 'StoreFront', 'HomeScreen', 'ProductDetail']],
      ['reviews', ['Review.product'], []],
    ]);
    for (const n of report.nullability) expect(n).toMatchObject({ type: 'Product', field: 'inStock', fieldType: 'Boolean!', resolvedBy: ['inventory'] });
    expect(report.warnings).toContainEqual(expect.stringMatching(/^nullability: Product\.inStock: Boolean! is resolved by inventory, but Product is reached from subgraph products \(Query\.topProducts, Query\.product, Query\.products\): when inventory fails, its null goes up past Product and drops the data from products with it; declare it nullable \(Boolean\); selected by web operation 'ProductPage'/));
    expect(formatReport(report)).toContain('Nullability: 3 non-null field(s) resolved by another subgraph than their parent');

    const strict = await runSchemaCheck({ ...(await checkInput()), strictNullability: true });
    expect(strict.ok).toBe(false);
    expect(strict.failures).toHaveLength(3);
  });

  it('fails a hand-edited supergraph on drift, saying how to regenerate it', async () => {
    const report = await check([], { committedSupergraph: `${baseSdl}\n# tweaked by hand\n` });
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual(['drift: supergraph/supergraph.graphql differs from a fresh composition; run `npm run supergraph:compose` and commit the result']);
  });
});

describe('npm run schema:check', () => {
  it('passes on the repository and writes the JSON report', async () => {
    const { execFile } = await import('node:child_process');
    const out = path.join(dir, 'report.json');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'supergraph/schema-check/cli.ts', '--base', SUPERGRAPH_FILE, '--json', out], { cwd: path.resolve(__dirname, '../..') }, (err, stdout) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Schema check passed.');
    const json = JSON.parse(await readFile(out, 'utf8'));
    expect(json).toMatchObject({ ok: true, composition: { ok: true }, drift: [], diff: { changes: [] }, failures: [] });
  });

  it('refuses --allow-breaking without a real reason', async () => {
    const { execFile } = await import('node:child_process');
    const code = await new Promise<number | null>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'supergraph/schema-check/cli.ts', '--allow-breaking', 'yes'], { cwd: path.resolve(__dirname, '../..') }, (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0));
    });
    expect(code).toBe(2);
  });
});

describe('the plain list of client operations the schema check reads', () => {
  it('names the folders and manifests the BFFs serve, and every operation-backed partner route', () => {
    const clients = readClientOperations();
    const root = path.resolve(__dirname, '../..');
    const abs = (p: string | undefined) => (p ? path.join(root, p) : undefined);
    expect(abs(clients.find((c) => c.client === 'web')?.operationsDir)).toBe(WEB_OPERATIONS_DIR);
    expect(abs(clients.find((c) => c.client === 'mobile')?.trustedDocuments)).toBe(MOBILE_TRUSTED_DOCUMENTS);
    expect(abs(clients.find((c) => c.client === 'mobile')?.clientManifests)).toBe(MOBILE_CLIENT_MANIFESTS);
    const partner = clients.find((c) => c.client === 'partner');
    expect(abs(partner?.operationsDir)).toBe(PARTNER_OPERATIONS_DIR);
    const routes: Record<string, string[]> = {};
    for (const table of partnerManifest.routes.versions) {
      for (const route of table.routes) if (route.kind === 'aggregate' && route.operation) (routes[route.operation] ??= []).push(`${route.method} ${route.path}`);
    }
    expect(partner?.routes).toEqual(routes);
  });
});
