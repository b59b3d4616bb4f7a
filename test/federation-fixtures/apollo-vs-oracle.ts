/** Generator options for comparing Apollo Gateway with the oracle over one fixture. */
import type { Fixture } from './fixture';
import type { OperationGeneratorOptions } from './operation-generator';

/**
 * The fixture's documented Apollo exclusions, plus the two Apollo deviations from the spec
 * that any fixture shows: repeated inline fragment conditions (reordered keys, see
 * `repeatFragmentConditions`) and selection sets whose every selection is skipped (null
 * instead of `{}`, see `allSkippableSelectionSets`).
 */
export function apolloVersusOracleGenerator(fixture: Fixture): OperationGeneratorOptions {
  return { repeatFragmentConditions: false, allSkippableSelectionSets: false, ...fixture.apolloGatewayExclusions };
}
