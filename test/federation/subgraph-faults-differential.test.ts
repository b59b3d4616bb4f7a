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
import fc from 'fast-check';
import { isObjectType } from 'graphql';
import { ENTITY_ERROR_PATH_REPRODUCTION, apolloVersusOracleGenerator, entityErrorPathException, leadsToNull } from '../federation-fixtures/apollo-vs-oracle';
import { faultCaseArbitrary, formatFaultReport, runFaultDifferential, type FaultCase, type FaultRunOptions, type GraphqlBody } from '../federation-fixtures/fault-differential';
import { ANSWER_FAULT_KINDS, TRANSPORT_FAULT_KINDS, createFaultBoard, faultsArbitrary, type FaultBoard } from '../federation-fixtures/faults';
import { BREAKERS_NEVER_OPEN, BREAKERS_OPEN_ON_FIRST_FAILURE, startFixtureBffs, type FixtureBff } from '../federation-fixtures/fixture-bffs';
import { startFixture, type RunningFixture } from '../federation-fixtures/fixture';
import { FIXTURES, mediaAbstract } from '../federation-fixtures/fixtures';

const DEFAULT_CASES = 150;
const DEFAULT_FRESH_CASES = 50;
const DEFAULT_SEED = 20_261_214;
/** Operations per open-circuit phase (one phase per subgraph of the fixture). */
const CIRCUIT_CASES = 15;
/** Operations tried to reach a subgraph and open its circuit. */
const MAX_TRIP_ATTEMPTS = 40;
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
    running = await startFixture(fixture, { rewriteReply: (request, reply) => board.rewriteReply(request, reply) });
    const typenames = Object.values(running.apiSchema.getTypeMap()).filter((type) => isObjectType(type) && !type.name.startsWith('__')).map((type) => type.name).sort();
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
    expect(report.cases).toBe(count);
    if (process.env.FEDERATION_FAULT_VERBOSE) console.log(`${fixture.name} ${label}: ${JSON.stringify(report, ['cases', 'withErrors', 'reordered', 'admittedApolloPathBugs', 'codes', ...Object.keys(report.codes)])}`);
    return report;
  };

  it(`on ${cases} generated operations with faults (seed ${seed})`, async () => {
    const report = await run(seed, cases, 'fixed');
    // The faults showed: subgraph errors kept, bodies that are not GraphQL, calls never answered.
    expect(Object.keys(report.codes)).toEqual(expect.arrayContaining(['INJECTED_FAULT', 'DOWNSTREAM_SERVICE_ERROR', 'UPSTREAM_BAD_RESPONSE', 'UPSTREAM_TIMEOUT']));
  }, 120_000);

  it(`on ${freshCases} more from a fresh seed (${freshSeed})`, async () => {
    await run(freshSeed, freshCases, 'fresh');
  }, 120_000);

  it(`with circuits open, one subgraph more each phase, ${CIRCUIT_CASES} operations a phase (seed ${seed})`, async () => {
    const tripping = await startFixtureBffs(running, ['apollo', 'portico'], { subgraphTimeoutMs: SUBGRAPH_TIMEOUT_MS, breakers: BREAKERS_OPEN_ON_FIRST_FAILURE });
    try {
      const bffs = tripping.bffs as [FixtureBff, FixtureBff];
      // Faults answered with a 200 only: nothing but the trips may open a circuit.
      const arbitrary = faultCaseArbitrary(running, generator, faultsArbitrary({ subgraphs, kinds: ANSWER_FAULT_KINDS }));
      let circuitOpenErrors = 0;
      for (const [phase, subgraph] of subgraphs.entries()) {
        await tripCircuit(bffs, subgraph, arbitrary);
        const report = await runFaultDifferential({ running, board, bffs, arbitrary, seed: seed + phase + 1, count: CIRCUIT_CASES, label: `open-${subgraph}` });
        if (report.mismatches.length > 0) throw new Error(formatFaultReport(report, 'FEDERATION_FAULT_SEED'));
        expect(bffs.map((bff) => bff.bff.app.breakers.get(subgraph).state())).toEqual(['open', 'open']);
        circuitOpenErrors += report.codes.UPSTREAM_CIRCUIT_OPEN ?? 0;
      }
      expect(circuitOpenErrors).toBeGreaterThan(0);
    } finally {
      await tripping.close();
    }
  }, 120_000);

  /** Opens `subgraph`'s circuit on both BFFs with real failures: operations sent until one reaches it and gets a 500. */
  async function tripCircuit(bffs: readonly FixtureBff[], subgraph: string, arbitrary: fc.Arbitrary<FaultCase>): Promise<void> {
    const candidates = fc.sample(arbitrary, { seed, numRuns: MAX_TRIP_ATTEMPTS });
    const open = () => bffs.every((bff) => bff.bff.app.breakers.get(subgraph).state() === 'open');
    for (const [i, candidate] of candidates.entries()) {
      if (open()) break;
      const requestId = `trip-${subgraph}-${i}`;
      board.plan(requestId, [{ subgraph, kind: 'http-500-text', every: true, salt: 0 }]);
      await Promise.all(bffs.map((bff) => bff.execute(candidate.operation.document, candidate.operation.variables, requestId)));
      board.clear(requestId);
    }
    expect({ subgraph, open: open() }).toEqual({ subgraph, open: true });
  }
});

describe('the documented Apollo Gateway entity error path bug (ENTITY_ERROR_PATH_REPRODUCTION)', () => {
  let running: RunningFixture;
  let board: FaultBoard;
  let pair: Awaited<ReturnType<typeof startFixtureBffs>>;

  beforeAll(async () => {
    board = createFaultBoard({ typenames: [] });
    running = await startFixture(mediaAbstract, { rewriteReply: (request, reply) => board.rewriteReply(request, reply) });
    pair = await startFixtureBffs(running, ['apollo', 'portico'], { subgraphTimeoutMs: SUBGRAPH_TIMEOUT_MS, breakers: BREAKERS_NEVER_OPEN });
  });

  afterAll(async () => {
    await pair?.close();
    await running?.close();
  });

  it("Apollo Gateway names the skipped Books; Portico names the Movies whose fields the failed fetch left null", async () => {
    const { document, faults } = ENTITY_ERROR_PATH_REPRODUCTION;
    board.plan('reproduction', faults);
    const [apollo, portico] = await Promise.all(pair.bffs.map((bff) => bff.execute(document, {}, 'reproduction')));
    board.clear('reproduction');
    const paths = (body: string) => (JSON.parse(body) as GraphqlBody).errors?.map((error) => error.path);
    expect(paths(apollo!.body)).toEqual(ENTITY_ERROR_PATH_REPRODUCTION.apolloPaths);
    expect(paths(portico!.body)).toEqual(ENTITY_ERROR_PATH_REPRODUCTION.porticoPaths);
    const data = (JSON.parse(portico!.body) as GraphqlBody).data;
    expect(data).toEqual(ENTITY_ERROR_PATH_REPRODUCTION.data);
    for (const path of ENTITY_ERROR_PATH_REPRODUCTION.porticoPaths) expect(leadsToNull(data, path)).toBe(true);
    expect(entityErrorPathException(JSON.parse(apollo!.body) as GraphqlBody, JSON.parse(portico!.body) as GraphqlBody)).toBe(true);
  });
});
