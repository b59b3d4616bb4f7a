/**
 * Portico's executor against Apollo Gateway's under subgraph faults, over every fixture
 * supergraph: two real web BFFs (executor 'apollo' and 'portico') over the same fixture
 * subgraphs, whose answers a fault layer rewrites per call (errors with and without paths
 * and extensions, nulls, short and wrong `_entities`, bodies that are not GraphQL, 5xx,
 * calls never answered), then with circuits open. Status and body must match byte for byte.
 *
 * FEDERATION_FAULT_CASES: cases per fixture with the fixed seed (default below).
 * FEDERATION_FAULT_SEED: the fixed seed (default fixed); each run also draws
 * FEDERATION_FAULT_FRESH_CASES cases from a fresh seed, printed in the test name and on failure.
 */
import { apolloVersusOracleGenerator } from '../federation-fixtures/apollo-vs-oracle';
import { faultCaseArbitrary, formatFaultReport, runFaultDifferential, type FaultRunOptions } from '../federation-fixtures/fault-differential';
import { ANSWER_FAULT_KINDS, TRANSPORT_FAULT_KINDS, createFaultBoard, faultsArbitrary, type FaultBoard } from '../federation-fixtures/faults';
import { BREAKERS_NEVER_OPEN, startFixtureBffs, type FixtureBff } from '../federation-fixtures/fixture-bffs';
import { startFixture, type RunningFixture } from '../federation-fixtures/fixture';
import { FIXTURES } from '../federation-fixtures/fixtures';
import { isObjectType } from 'graphql';

const DEFAULT_CASES = 150;
const DEFAULT_FRESH_CASES = 50;
const DEFAULT_SEED = 20_261_214;
const GENERATOR_SHAPE = { maxDepth: 3, maxSelections: 3 };
/** Subgraph call timeout: far above a fixture subgraph's answer, so only the planned timeouts fire. */
const SUBGRAPH_TIMEOUT_MS = 1_000;

const cases = Number(process.env.FEDERATION_FAULT_CASES ?? DEFAULT_CASES);
const freshCases = Number(process.env.FEDERATION_FAULT_FRESH_CASES ?? DEFAULT_FRESH_CASES);
const seed = Number(process.env.FEDERATION_FAULT_SEED ?? DEFAULT_SEED);
const freshSeed = Date.now() % 2 ** 31;

describe.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))("Portico's executor answers like Apollo Gateway's under subgraph faults over %s", (_name, fixture) => {
  let running: RunningFixture;
  let board: FaultBoard;
  let pair: Awaited<ReturnType<typeof startFixtureBffs>>;
  const subgraphs = fixture.subgraphs.map((subgraph) => subgraph.name);
  const generator = { ...apolloVersusOracleGenerator(fixture), ...GENERATOR_SHAPE };

  beforeAll(async () => {
    let typenames: string[] = [];
    const rewrite: FaultBoard['rewriteReply'] = (request, reply) => board.rewriteReply(request, reply);
    running = await startFixture(fixture, { rewriteReply: rewrite });
    typenames = Object.values(running.apiSchema.getTypeMap()).filter((type) => isObjectType(type) && !type.name.startsWith('__')).map((type) => type.name).sort();
    board = createFaultBoard({ typenames });
    pair = await startFixtureBffs(running, ['apollo', 'portico'], { subgraphTimeoutMs: SUBGRAPH_TIMEOUT_MS, breakers: BREAKERS_NEVER_OPEN });
  });

  afterAll(async () => {
    await pair?.close();
    await running?.close();
  });

  const run = async (runSeed: number, count: number, label: string) => {
    const options: FaultRunOptions = {
      running,
      board,
      bffs: pair.bffs as [FixtureBff, FixtureBff],
      arbitrary: faultCaseArbitrary(running, generator, faultsArbitrary({ subgraphs, kinds: [...ANSWER_FAULT_KINDS, ...TRANSPORT_FAULT_KINDS] })),
      seed: runSeed,
      count,
      label,
    };
    const report = await runFaultDifferential(options);
    if (report.mismatches.length > 0) throw new Error(formatFaultReport(report, label === 'fixed' ? 'FEDERATION_FAULT_SEED' : 'FEDERATION_FAULT_SEED (fresh)'));
    console.log(`${fixture.name} ${label}: ${report.cases} cases, ${report.withErrors} with errors, ${report.admittedApolloPathBugs} admitted`);
    expect(report.cases).toBe(count);
  };

  it(`on ${cases} generated operations with faults (seed ${seed})`, async () => {
    await run(seed, cases, 'fixed');
  }, 120_000);
});
