/**
 * The differential under subgraph faults: generated operations, each with faults planned for
 * its subgraph calls, through Portico web BFFs that differ only in their executor (Apollo
 * Gateway's, then Portico's). Status and body must be identical byte for byte; the one
 * admitted difference is the documented Apollo Gateway error-path bug (`entityErrorPathException`),
 * and where it is admitted Portico's path must be the right one.
 *
 * Case `i` of a run is the one fast-check's runner produces for `{ seed, path: String(i) }`,
 * and its request id is `fault-<seed>-<i>`, so a mismatch replays from the seed alone.
 */
import fc from 'fast-check';
import { entityErrorPathException } from './apollo-vs-oracle';
import { fixtureOperations } from './differential';
import type { Fault, FaultBoard } from './faults';
import type { BffAnswer, FixtureBff } from './fixture-bffs';
import type { RunningFixture } from './fixture';
import type { GeneratedOperation, OperationGeneratorOptions } from './operation-generator';

export interface FaultCase {
  readonly operation: GeneratedOperation;
  readonly faults: readonly Fault[];
}

export function faultCaseArbitrary(running: RunningFixture, generator: OperationGeneratorOptions, faults: fc.Arbitrary<Fault[]>): fc.Arbitrary<FaultCase> {
  return fc.record({ operation: fixtureOperations(running, generator), faults });
}

export interface FaultMismatch {
  readonly index: number;
  readonly requestId: string;
  readonly case: FaultCase;
  readonly answers: Readonly<Record<string, BffAnswer | { thrown: string }>>;
}

export interface FaultRunReport {
  readonly fixture: string;
  readonly seed: number;
  readonly cases: number;
  readonly mismatches: readonly FaultMismatch[];
  /** Cases whose bodies differed only by Apollo Gateway's entity error paths, Portico's checked right. */
  readonly admittedApolloPathBugs: number;
  /** Cases where at least one answer had errors (the faults showed). */
  readonly withErrors: number;
  /** Cases whose errors came in another order (parallel fetches answering in another order). */
  readonly reordered: number;
  /** Errors by `extensions.code` in the reference answers: which faults showed. */
  readonly codes: Readonly<Record<string, number>>;
}

export interface FaultRunOptions {
  readonly running: RunningFixture;
  readonly board: FaultBoard;
  /** The reference first (Apollo Gateway's executor), then Portico's. */
  readonly bffs: readonly [FixtureBff, FixtureBff];
  readonly arbitrary: fc.Arbitrary<FaultCase>;
  readonly seed: number;
  readonly count: number;
  /** Distinguishes the request ids of several runs with one seed. */
  readonly label: string;
  readonly concurrency?: number;
  readonly maxMismatches?: number;
}

async function answer(bff: FixtureBff, c: FaultCase, requestId: string): Promise<BffAnswer | { thrown: string }> {
  try {
    return await bff.execute(c.operation.document, c.operation.variables, requestId);
  } catch (error) {
    return { thrown: error instanceof Error ? error.message : String(error) };
  }
}

/** Runs one case through both BFFs with its faults planned; the answers, or undefined when they agree. */
/** A GraphQL response body as parsed JSON. */
export interface GraphqlBody {
  data?: unknown;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  extensions?: unknown;
}

/**
 * The body with its errors in one canonical order. Both executors list a fetch's errors
 * when its answer arrives, so the errors of fetches running in parallel come in the order
 * their answers happened to arrive, in Apollo Gateway's executor as in Portico's: only that
 * order is let go, and only when the bodies differ as sent.
 */
function canonical(body: GraphqlBody): string {
  const errors = body.errors?.map((error) => JSON.stringify(error)).sort();
  return JSON.stringify({ ...body, ...(errors ? { errors } : {}) });
}

export async function compareCase(
  options: FaultRunOptions,
  c: FaultCase,
  requestId: string,
): Promise<{ same: boolean; admitted: boolean; reordered?: boolean; withErrors: boolean; answers: [BffAnswer | { thrown: string }, BffAnswer | { thrown: string }] }> {
  options.board.plan(requestId, c.faults);
  let answers: [BffAnswer | { thrown: string }, BffAnswer | { thrown: string }];
  try {
    answers = await Promise.all([answer(options.bffs[0], c, requestId), answer(options.bffs[1], c, requestId)]);
  } finally {
    options.board.clear(requestId);
  }
  const [reference, portico] = answers;
  if ('thrown' in reference || 'thrown' in portico) return { same: false, admitted: false, withErrors: false, answers };
  const withErrors = reference.body.includes('"errors"');
  if (reference.status === portico.status && reference.body === portico.body) return { same: true, admitted: false, withErrors, answers };
  if (reference.status !== portico.status) return { same: false, admitted: false, withErrors, answers };
  const [apolloJson, porticoJson] = [JSON.parse(reference.body) as GraphqlBody, JSON.parse(portico.body) as GraphqlBody];
  if (canonical(apolloJson) === canonical(porticoJson)) return { same: true, admitted: false, reordered: true, withErrors, answers };
  const admitted = entityErrorPathException(apolloJson, porticoJson);
  return { same: admitted, admitted, withErrors, answers };
}

export async function runFaultDifferential(options: FaultRunOptions): Promise<FaultRunReport> {
  const cases = fc.sample(options.arbitrary, { seed: options.seed, numRuns: options.count });
  const maxMismatches = options.maxMismatches ?? 3;
  const mismatches: FaultMismatch[] = [];
  let admittedApolloPathBugs = 0;
  let withErrors = 0;
  let reordered = 0;
  const codes: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < cases.length && mismatches.length < maxMismatches) {
      const index = next++;
      const c = cases[index]!;
      const requestId = `fault-${options.label}-${options.seed}-${index}`;
      const outcome = await compareCase(options, c, requestId);
      if (outcome.admitted) admittedApolloPathBugs++;
      if (outcome.withErrors) withErrors++;
      if (outcome.reordered) reordered++;
      const reference = outcome.answers[0];
      if (!('thrown' in reference)) {
        for (const error of (JSON.parse(reference.body) as GraphqlBody).errors ?? []) {
          const code = String(error.extensions?.code);
          codes[code] = (codes[code] ?? 0) + 1;
        }
      }
      if (!outcome.same) mismatches.push({ index, requestId, case: c, answers: { [options.bffs[0].executor]: outcome.answers[0], [options.bffs[1].executor]: outcome.answers[1] } });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  mismatches.sort((a, b) => a.index - b.index);
  return { fixture: options.running.fixture.name, seed: options.seed, cases: cases.length, mismatches, admittedApolloPathBugs, withErrors, reordered, codes };
}

/** A report as text: each mismatch with its operation, faults and both answers, and how to replay it. */
export function formatFaultReport(report: FaultRunReport, seedVariable: string): string {
  if (report.mismatches.length === 0) return `${report.fixture}: ${report.cases} cases, no mismatch`;
  const lines = [
    `${report.fixture}: ${report.mismatches.length} mismatch(es) in ${report.cases} cases`,
    `replay: ${seedVariable}=${report.seed} (fast-check seed ${report.seed}, path "${report.mismatches[0]!.index}")`,
  ];
  for (const mismatch of report.mismatches) {
    lines.push(
      '',
      `case #${mismatch.index} (request id ${mismatch.requestId})`,
      mismatch.case.operation.document,
      `variables: ${JSON.stringify(mismatch.case.operation.variables)}`,
      `faults: ${JSON.stringify(mismatch.case.faults)}`,
      ...Object.entries(mismatch.answers).map(([name, a]) => `  ${name}: ${JSON.stringify(a)}`),
    );
  }
  return lines.join('\n');
}
