/**
 * Apollo Gateway and Portico's plan executor against the oracle over every fixture
 * supergraph: generated operations must answer the same `data` JSON (key order included)
 * and no errors, from all three; and Portico's executor must run every one of them itself.
 *
 * FEDERATION_FUZZ_OPERATIONS: operations per fixture (default 3,400, about 10,000 in all).
 * FEDERATION_FUZZ_SEED: the seed (default fixed); a failure prints the seed and path to replay.
 * Where Apollo Gateway departs from the spec, the generator is constrained and the reason is
 * written beside the constraint (`apolloVersusOracleGenerator`, `apolloGatewayExclusions`).
 */
import { apolloVersusOracleGenerator } from '../federation-fixtures/apollo-vs-oracle';
import { formatReport, runDifferential } from '../federation-fixtures/differential';
import { createApolloGatewayExecutor, createOracleExecutor, createPorticoExecutor, type Executor } from '../federation-fixtures/executors';
import { startFixture, type RunningFixture } from '../federation-fixtures/fixture';
import { FIXTURES } from '../federation-fixtures/fixtures';

const DEFAULT_OPERATIONS_PER_FIXTURE = 3_400;
const DEFAULT_SEED = 20_261_201;
/** Depth and breadth that keep Apollo's per-operation planning near 5 ms on this machine. */
const GENERATOR_SHAPE = { maxDepth: 3, maxSelections: 3 };

const operationsPerFixture = Number(process.env.FEDERATION_FUZZ_OPERATIONS ?? DEFAULT_OPERATIONS_PER_FIXTURE);
const seed = Number(process.env.FEDERATION_FUZZ_SEED ?? DEFAULT_SEED);

describe.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))('Apollo Gateway and Portico answer like the oracle over %s', (_name, fixture) => {
  let running: RunningFixture;
  let gateway: Executor;
  let portico: Awaited<ReturnType<typeof createPorticoExecutor>>;

  beforeAll(async () => {
    running = await startFixture(fixture);
    [gateway, portico] = await Promise.all([createApolloGatewayExecutor(running), createPorticoExecutor(running)]);
  });

  afterAll(async () => {
    await Promise.all([gateway?.close?.(), portico?.close?.()]);
    await running?.close();
  });

  it(`on ${operationsPerFixture} generated operations (seed ${seed})`, async () => {
    const report = await runDifferential({
      fixture: running,
      executors: [createOracleExecutor(running), gateway, portico],
      operations: { count: operationsPerFixture, seed, generator: { ...apolloVersusOracleGenerator(fixture), ...GENERATOR_SHAPE } },
    });
    if (report.mismatches.length > 0) throw new Error(formatReport(report));
    expect(report.operations).toBe(operationsPerFixture);
    expect(portico.fallbacks()).toBe(0);
  }, 300_000);
});
