/**
 * The differential harness: the same operations through several executors over one running
 * fixture, answers compared as JSON text (key order included: clients see it).
 *
 * Generated operations are drawn with `fc.sample(arbitrary, { seed, numRuns })`; operation `i`
 * is the one fast-check's runner produces for `{ seed, path: String(i) }`, so a mismatch
 * replays (and shrinks) from its seed and path alone.
 */
import fc from 'fast-check';
import type { Dataset } from './dataset';
import type { ExecutionOutcome, Executor } from './executors';
import type { RunningFixture } from './fixture';
import { operationArbitrary, type GeneratedOperation, type OperationGeneratorOptions } from './operation-generator';

/** One operation to run: its text and variables. */
export interface DifferentialOperation {
  readonly document: string;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** Generated operations: `count` drawn from `seed`. */
export interface GeneratedOperations {
  readonly count: number;
  readonly seed: number;
  readonly generator?: OperationGeneratorOptions;
}

/**
 * How answers are compared with the first executor's:
 * - `data-without-errors` (default): identical `data` JSON, and no executor answers `errors`;
 * - `full`: identical JSON of the whole answer (`data`, then `errors` with paths and extensions).
 */
export type Comparison = 'data-without-errors' | 'full';

export interface DifferentialOptions {
  readonly fixture: RunningFixture;
  /** At least two; every other executor is compared with the first. */
  readonly executors: readonly Executor[];
  readonly operations: GeneratedOperations | readonly DifferentialOperation[];
  readonly comparison?: Comparison;
  /** Operations in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Stop after this many mismatches. Default 3. */
  readonly maxMismatches?: number;
  /** Shrink the first mismatch of generated operations to a smaller failing operation. Default true. */
  readonly shrink?: boolean;
}

export interface Mismatch {
  /** Index of the operation in the run (the fast-check path for generated operations). */
  readonly index: number;
  readonly document: string;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly reason: string;
  /** Answer per executor name. */
  readonly outcomes: Readonly<Record<string, ExecutionOutcome | { thrown: string }>>;
}

export interface DifferentialReport {
  readonly fixture: string;
  readonly operations: number;
  /** Seed and count when the operations were generated. */
  readonly generated?: GeneratedOperations;
  readonly mismatches: readonly Mismatch[];
  /** The first generated mismatch shrunk by fast-check, when shrinking ran and reproduced it. */
  readonly shrunk?: Mismatch;
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_MAX_MISMATCHES = 3;

/** Every `id` in the dataset, for ID arguments the fixture names no values for. */
export function datasetIds(dataset: Dataset): string[] {
  const ids = new Set<string>();
  for (const records of Object.values(dataset.records)) {
    for (const record of Object.values(records)) if (typeof record.id === 'string') ids.add(record.id);
  }
  return [...ids, 'missing-id'];
}

/** The arbitrary a fixture's operations are drawn from. */
export function fixtureOperations(fixture: RunningFixture, options: OperationGeneratorOptions = {}): fc.Arbitrary<GeneratedOperation> {
  return operationArbitrary(fixture.apiSchema, {
    argumentValues: fixture.fixture.argumentValues,
    ids: datasetIds(fixture.fixture.dataset),
    ...options,
  });
}

function isGenerated(operations: DifferentialOptions['operations']): operations is GeneratedOperations {
  return !Array.isArray(operations);
}

async function runOne(executor: Executor, operation: DifferentialOperation): Promise<ExecutionOutcome | { thrown: string }> {
  try {
    return await executor.execute(operation.document, operation.variables);
  } catch (error) {
    return { thrown: error instanceof Error ? error.message : String(error) };
  }
}

/** Why the answers differ, or undefined when they agree. */
function difference(names: readonly string[], outcomes: readonly (ExecutionOutcome | { thrown: string })[], comparison: Comparison): string | undefined {
  for (const [i, outcome] of outcomes.entries()) {
    if ('thrown' in outcome) return `${names[i]} threw: ${outcome.thrown}`;
    if (comparison === 'data-without-errors' && outcome.errors && outcome.errors.length > 0) return `${names[i]} answered errors`;
  }
  const project = (outcome: ExecutionOutcome) => JSON.stringify(comparison === 'full' ? outcome : outcome.data);
  const [reference, ...others] = outcomes as ExecutionOutcome[];
  const expected = project(reference!);
  for (const [i, outcome] of others.entries()) {
    if (project(outcome) !== expected) return `${names[i + 1]} answered other ${comparison === 'full' ? 'JSON' : 'data'} than ${names[0]}`;
  }
  return undefined;
}

async function compareOne(options: DifferentialOptions, index: number, operation: DifferentialOperation): Promise<Mismatch | undefined> {
  const names = options.executors.map((executor) => executor.name);
  const outcomes = await Promise.all(options.executors.map((executor) => runOne(executor, operation)));
  const reason = difference(names, outcomes, options.comparison ?? 'data-without-errors');
  if (reason === undefined) return undefined;
  return { index, document: operation.document, variables: operation.variables, reason, outcomes: Object.fromEntries(names.map((name, i) => [name, outcomes[i]!])) };
}

/** Runs every operation through every executor and reports where they disagree. */
export async function runDifferential(options: DifferentialOptions): Promise<DifferentialReport> {
  if (options.executors.length < 2) throw new Error('runDifferential needs at least two executors');
  const generated = isGenerated(options.operations) ? options.operations : undefined;
  const operations: readonly DifferentialOperation[] = generated
    ? fc.sample(fixtureOperations(options.fixture, generated.generator), { seed: generated.seed, numRuns: generated.count })
    : (options.operations as readonly DifferentialOperation[]);
  const maxMismatches = options.maxMismatches ?? DEFAULT_MAX_MISMATCHES;
  const mismatches: Mismatch[] = [];
  let next = 0;
  const worker = async () => {
    while (next < operations.length && mismatches.length < maxMismatches) {
      const index = next++;
      const mismatch = await compareOne(options, index, operations[index]!);
      if (mismatch) mismatches.push(mismatch);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? DEFAULT_CONCURRENCY }, worker));
  mismatches.sort((a, b) => a.index - b.index);
  const first = mismatches[0];
  const shrunk = generated && first && options.shrink !== false ? await shrinkMismatch(options, generated, first.index) : undefined;
  return { fixture: options.fixture.fixture.name, operations: operations.length, generated, mismatches, shrunk };
}

/** Replays the generated operation at `index` through fast-check's runner and lets it shrink. */
async function shrinkMismatch(options: DifferentialOptions, generated: GeneratedOperations, index: number): Promise<Mismatch | undefined> {
  let smallest: Mismatch | undefined;
  await fc.check(
    fc.asyncProperty(fixtureOperations(options.fixture, generated.generator), async (operation) => {
      const mismatch = await compareOne(options, index, operation);
      if (mismatch) smallest = mismatch;
      return mismatch === undefined;
    }),
    { seed: generated.seed, path: String(index), numRuns: generated.count, endOnFailure: false, interruptAfterTimeLimit: 30_000 },
  );
  return smallest;
}

function describeMismatch(mismatch: Mismatch): string {
  const outcomes = Object.entries(mismatch.outcomes).map(([name, outcome]) => `  ${name}: ${JSON.stringify(outcome)}`);
  return [
    `operation #${mismatch.index}: ${mismatch.reason}`,
    mismatch.document,
    `variables: ${JSON.stringify(mismatch.variables)}`,
    ...outcomes,
  ].join('\n');
}

/** A report as text: each mismatch with its operation, variables and answers, and how to replay it. */
export function formatReport(report: DifferentialReport): string {
  if (report.mismatches.length === 0) return `${report.fixture}: ${report.operations} operations, no mismatch`;
  const lines = [`${report.fixture}: ${report.mismatches.length} mismatch(es) in ${report.operations} operations`];
  if (report.generated) {
    const first = report.mismatches[0]!;
    lines.push(
      `replay: FEDERATION_FUZZ_SEED=${report.generated.seed} (fast-check seed ${report.generated.seed}, path "${first.index}")`,
      `another seed: FEDERATION_FUZZ_SEED=${Date.now() % 2 ** 31}`,
    );
  }
  for (const mismatch of report.mismatches) lines.push('', describeMismatch(mismatch));
  if (report.shrunk) lines.push('', 'shrunk by fast-check:', describeMismatch(report.shrunk));
  return lines.join('\n');
}
