/**
 * The partner's operation executor (Apollo's query planner, Portico's executor) against
 * the path it replaced (Apollo Server over an authorized Apollo Gateway, kept in
 * test/federation-fixtures/apollo-operation-executor.ts). Over the same real services,
 * the same registered operations with the same variables, run as the same callers, give
 * the same data, field order included, or the same PorticoError (code, status, message and
 * the subgraph errors behind it): fields a caller may not read, a non-null root field it
 * may not read, variables that do not coerce, an operation over the limits, and services
 * that refuse connections, fail, answer something that is not JSON or answer errors.
 *
 * The operations are the shipped ones (bffs/partner/operations) and three more that reach
 * further into the executor: fragments, `@include` with defaults, `@requires`, aliases,
 * a `@policy` on a non-null root field (test/fixtures/partner-operations).
 */
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEMO_AUTHORIZATION_POLICIES } from '../../bffs/authorization-policies';
import { PARTNER_OPERATIONS_DIR } from '../../bffs/partner/manifest';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { isPorticoError } from '../../shared/errors';
import type { GatewayContext } from '../../shared/graphql/gateway-context';
import { createOperationExecutor, readOperations, type OperationExecutor, type OperationExecutorOptions } from '../../shared/graphql/operation-executor';
import { identityHeadersFor } from '../../shared/policies/authn/identity-headers';
import type { Principal } from '../../shared/policies/authn/principal';
import { createBreakerRegistry } from '../../shared/upstream/breaker';
import { createUpstreamRegistry } from '../../shared/upstream/upstream-registry';
import { SUBGRAPH_GRAPHQL_PATH } from '../../supergraph/subgraphs/catalog';
import { createApolloOperationExecutor } from '../federation-fixtures/apollo-operation-executor';
import { freePort } from '../helpers/redis';
import { startSubgraphs } from '../helpers/subgraphs';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

/** Operations only this test runs, beside the partner's shipped ones. */
const FIXTURE_OPERATIONS_DIR = path.join(__dirname, '../fixtures/partner-operations');

/** A folder holding the shipped operations and the fixtures, so the test always runs the shipped ones as they are. */
async function operationsFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-operations-'));
  for (const from of [PARTNER_OPERATIONS_DIR, FIXTURE_OPERATIONS_DIR]) {
    for (const file of await readdir(from)) if (file.endsWith('.graphql')) await copyFile(path.join(from, file), path.join(dir, file));
  }
  return dir;
}

function client(id: string, scopes: string[]): Principal {
  return { kind: 'client', id, clientId: id, scopes, roles: [], plan: 'pro', method: 'api-key' };
}

/** Callers: what the shipped routes ask for, more, less, none, and back-office staff. */
const CALLERS: Record<string, Principal | undefined> = {
  partner: client('partner', ['customers:read', 'orders:read']),
  'partner with pii': client('pii', ['customers:read', 'orders:read', 'customers:pii']),
  'partner without scopes': client('bare', []),
  anonymous: undefined,
  staff: { kind: 'user', id: '2', scopes: ['orders:read', 'customers:pii'], roles: ['support'], plan: 'default', method: 'jwt' },
};

function contextOf(principal: Principal | undefined, requestId: string): GatewayContext {
  return { requestId, forwardHeaders: principal ? identityHeadersFor(principal) : {}, ...(principal ? { principal } : {}) };
}

/** What a run gave: the data as sent (field order kept), or the error's public face and what caused it. */
type Outcome = { data: string } | { error: { code: string; statusCode: number; message: string; cause: string | undefined } };

async function outcomeOf(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { data: JSON.stringify(await run()) };
  } catch (err) {
    if (!isPorticoError(err)) throw err;
    return { error: { code: err.code, statusCode: err.statusCode, message: err.message, cause: (err.cause as Error | undefined)?.message } };
  }
}

/** Both executors over the same operations and services, each with its own app, registry and breakers (a failure one sees never opens the other's breaker). */
async function startPair(options: Partial<OperationExecutorOptions> & Pick<OperationExecutorOptions, 'operationsDir' | 'subgraphUrls'>) {
  const opts: OperationExecutorOptions = { supergraphPath: DEFAULT_SUPERGRAPH_PATH, authorization: { policies: DEMO_AUTHORIZATION_POLICIES }, ...options };
  const closing: Array<() => Promise<void>> = [];
  const build = async (create: (app: FastifyInstance, registry: ReturnType<typeof createUpstreamRegistry>, o: OperationExecutorOptions) => Promise<OperationExecutor>) => {
    const app = Fastify({ logger: false });
    const breakers = createBreakerRegistry();
    const onClose: Array<() => Promise<void>> = [];
    const registry = createUpstreamRegistry({
      breakers,
      log: app.log,
      readiness: { add: () => undefined },
      onReady: () => undefined,
      onClose: (task) => void onClose.push(task),
    });
    closing.push(async () => {
      await app.close();
      for (const task of onClose) await task();
      breakers.shutdown();
    });
    return create(app, registry, opts);
  };
  const apollo = await build(createApolloOperationExecutor);
  const portico = await build(createOperationExecutor);
  return {
    apollo,
    portico,
    async compare(name: string, variables: Record<string, unknown>, principal: Principal | undefined): Promise<{ apollo: Outcome; portico: Outcome }> {
      return {
        apollo: await outcomeOf(() => apollo.execute(name, variables, contextOf(principal, 'apollo'))),
        portico: await outcomeOf(() => portico.execute(name, variables, contextOf(principal, 'portico'))),
      };
    },
    close: () => Promise.all(closing.map((close) => close())),
  };
}

describe('the partner operation executor against Apollo Server over Apollo Gateway', () => {
  let subgraphs: Subgraphs;
  let urls: Record<string, string>;
  let operationsDir: string;

  beforeAll(async () => {
    operationsDir = await operationsFolder();
    subgraphs = await startSubgraphs();
    urls = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, `${origin}${SUBGRAPH_GRAPHQL_PATH}`]));
  });

  afterAll(async () => {
    await subgraphs?.close();
    if (operationsDir) await rm(operationsDir, { recursive: true, force: true });
  });

  describe('over the real services', () => {
    let pair: Awaited<ReturnType<typeof startPair>>;

    beforeAll(async () => {
      pair = await startPair({ operationsDir, subgraphUrls: urls });
    });

    afterAll(async () => {
      await pair?.close();
    });

    it('registers the same operations, the shipped ones among them', () => {
      expect(pair.portico.operationNames().sort()).toEqual(pair.apollo.operationNames().sort());
      expect(pair.portico.operationNames()).toEqual(expect.arrayContaining([...readOperations(PARTNER_OPERATIONS_DIR).keys()]));
    });

    const cases: Array<[string, Record<string, unknown>]> = [
      ...['1', '2', '3', '4', '5', '6', '7', '8', '99999'].map((id): [string, Record<string, unknown>] => ['CustomerProfile', { id }]),
      ['ProductShelf', {}],
      ['ProductShelf', { first: 6, withReviews: true }],
      ['ProductShelf', { category: 'books', withReviews: true }],
      ['BackOfficeOrders', {}],
      ['OrderDetail', { id: '3' }],
      ['OrderDetail', { id: '1' }],
      ['OrderDetail', { id: '99999' }],
    ];
    for (const [caller, principal] of Object.entries(CALLERS)) {
      it(`answers every operation as Apollo Gateway does for ${caller}`, async () => {
        let answered = 0;
        for (const [name, variables] of cases) {
          const { apollo, portico } = await pair.compare(name, variables, principal);
          expect({ name, variables, outcome: portico }).toEqual({ name, variables, outcome: apollo });
          if ('data' in portico) answered++;
        }
        // Some answers carry data for every caller (the services refuse the rest to some).
        expect(answered).toBeGreaterThan(0);
      });
    }

    it('nulls what a caller may not read exactly as Apollo Gateway does', async () => {
      const { apollo, portico } = await pair.compare('CustomerProfile', { id: '4' }, undefined);
      expect(portico).toEqual(apollo);
      expect(JSON.parse((portico as { data: string }).data)).toMatchObject({ user: { id: '4', orders: null } });
      const backOffice = await pair.compare('BackOfficeOrders', {}, CALLERS.partner);
      expect(backOffice.portico).toEqual(backOffice.apollo);
      expect(backOffice.portico).toEqual({ data: 'null' });
    });

    it('fails as Apollo Gateway does on variables that do not coerce, an operation over the limits, and an unknown operation', async () => {
      const failing: Array<[string, Record<string, unknown>]> = [
        ['CustomerProfile', {}],
        ['CustomerProfile', { id: { not: 'an id' } }],
        ['ProductShelf', { first: 'many' }],
        ['ProductShelf', { first: 1_000_000, withReviews: true }],
        ['NoSuchOperation', {}],
      ];
      for (const [name, variables] of failing) {
        const { apollo, portico } = await pair.compare(name, variables, CALLERS.partner);
        expect({ name, variables, outcome: portico }).toEqual({ name, variables, outcome: apollo });
        expect(portico).toHaveProperty('error');
      }
    });
  });

  describe('over failing services', () => {
    let faulty: Server;
    let mode: 'server-error' | 'not-json' | 'graphql-errors' | 'forbidden-errors';

    beforeAll(async () => {
      faulty = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (mode === 'server-error') res.writeHead(500, { 'content-type': 'text/plain' }).end('internal stack trace');
          else if (mode === 'not-json') res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops</html>');
          else if (mode === 'graphql-errors') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: null, errors: [{ message: 'boom', extensions: { code: 'SOMETHING_BROKE' } }] }));
          else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: null, errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] }));
        });
      });
      await new Promise<void>((resolve) => faulty.listen(0, '127.0.0.1', resolve));
    });

    afterAll(async () => {
      await new Promise((resolve) => faulty?.close(resolve));
    });

    const faultyUrl = () => `http://127.0.0.1:${(faulty.address() as AddressInfo).port}${SUBGRAPH_GRAPHQL_PATH}`;

    for (const subgraph of ['accounts', 'orders', 'products']) {
      it(`fails as Apollo Gateway does when ${subgraph} refuses connections`, async () => {
        const pair = await startPair({ operationsDir, subgraphUrls: { ...urls, [subgraph]: `http://127.0.0.1:${await freePort()}${SUBGRAPH_GRAPHQL_PATH}` }, warmUp: { enabled: false } });
        try {
          for (const [name, variables] of [['CustomerProfile', { id: '4' }], ['OrderDetail', { id: '3' }]] as const) {
            const { apollo, portico } = await pair.compare(name, variables, CALLERS.partner);
            expect({ name, outcome: portico }).toEqual({ name, outcome: apollo });
          }
          expect((await pair.compare('CustomerProfile', { id: '4' }, CALLERS.partner)).portico).toMatchObject({ error: { code: 'UPSTREAM_UNAVAILABLE', statusCode: 502 } });
        } finally {
          await pair.close();
        }
      });
    }

    for (const faultMode of ['server-error', 'not-json', 'graphql-errors', 'forbidden-errors'] as const) {
      for (const subgraph of ['accounts', 'reviews', 'orders']) {
        it(`fails as Apollo Gateway does when ${subgraph} answers ${faultMode}`, async () => {
          mode = faultMode;
          const pair = await startPair({ operationsDir, subgraphUrls: { ...urls, [subgraph]: faultyUrl() }, warmUp: { enabled: false } });
          try {
            for (const [name, variables] of [['CustomerProfile', { id: '4' }], ['OrderDetail', { id: '3' }]] as const) {
              const { apollo, portico } = await pair.compare(name, variables, CALLERS.partner);
              expect({ name, outcome: portico }).toEqual({ name, outcome: apollo });
            }
          } finally {
            await pair.close();
          }
        });
      }
    }
  });
});
