/**
 * The partner's operation executor does at start everything about its registered
 * operations that does not depend on a request: an operation that is invalid against the
 * supergraph, or whose plan Portico's executor does not run, stops the start with the
 * operation's name and the reason, before the BFF listens.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { DEMO_AUTHORIZATION_POLICIES } from '../../bffs/authorization-policies';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { createOperationExecutor } from '../../shared/graphql/operation-executor';
import { createBreakerRegistry } from '../../shared/upstream/breaker';
import { createUpstreamRegistry } from '../../shared/upstream/upstream-registry';

/** Builds an executor over `operations` (file name -> text); nothing listens on the subgraphs' URLs, and nothing calls them. */
async function startWith(operations: Record<string, string>): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-operations-'));
  const app = Fastify({ logger: false });
  const breakers = createBreakerRegistry();
  const registry = createUpstreamRegistry({ breakers, log: app.log, readiness: { add: () => undefined }, onReady: () => undefined, onClose: () => undefined });
  try {
    for (const [file, body] of Object.entries(operations)) await writeFile(path.join(dir, file), body);
    const executor = await createOperationExecutor(app, registry, { supergraphPath: DEFAULT_SUPERGRAPH_PATH, operationsDir: dir, authorization: { policies: DEMO_AUTHORIZATION_POLICIES } });
    return executor.operationNames();
  } finally {
    await registry.close();
    breakers.shutdown();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const PROFILE = 'query Profile($id: ID!) { user(id: $id) { id name reviews { rating product { name shippingEstimate } } } }';

describe('registered operations at start', () => {
  it('are validated, planned and compiled before the executor is returned', async () => {
    expect(await startWith({ 'Profile.graphql': PROFILE })).toEqual(['Profile']);
  });

  it('stop the start when one asks for introspection, which Portico’s executor does not answer', async () => {
    await expect(startWith({ 'Profile.graphql': PROFILE, 'Types.graphql': 'query Types { __type(name: "User") { name } }' })).rejects.toThrow(
      "registered operation 'Types' cannot run on Portico's executor: it uses introspection",
    );
  });

  it('stop the start when one is invalid against the supergraph, naming it', async () => {
    await expect(startWith({ 'Profile.graphql': PROFILE, 'Retired.graphql': 'query Retired { user(id: "1") { nickname } }' })).rejects.toThrow(
      /^registered operation 'Retired' is invalid against the supergraph: Cannot query field "nickname" on type "User"/,
    );
  });
});
