/**
 * How Node runs Portico's processes: the arguments before the entry file, in one place for
 * `npm start`, docker-compose.yml, the benchmark and the lifecycle tests.
 *
 * - TypeScript runs through tsx's CommonJS hook, in the main thread. `--import tsx` would
 *   register its hooks on a loader thread with its own V8 isolate, about 35 MB more per
 *   process and a slower start; Portico is CommonJS, so the hook covers every file.
 * - The GraphQL BFFs get a larger young generation. A heavy operation allocates a few MB
 *   per request (subgraph answers, the merged tree, the response); with V8's default 16 MB
 *   semi-spaces much of it survives a scavenge while requests are in flight, is promoted and
 *   collected again by the slower old-generation GC. At 48 MB (the bench's heavy query:
 *   CPU per request down by about 40 %) it dies young.
 * - Their old generation grows by half its live size between full collections instead of
 *   V8's adaptive factor (up to 4x): what is promoted under load is mostly finished requests'
 *   data, so collecting it sooner costs little CPU (within the bench's noise) and cuts peak
 *   RSS under saturation by 25-45 % (heavy query: 484 -> 270 MB).
 * - The partner BFF keeps V8's default young generation: a passthrough allocates little, and
 *   a smaller one (8 MB) cost about 4 % more CPU per request for 15-20 MB less RSS. Its old
 *   generation grows by half its live size too: under load V8's adaptive factor let promoted
 *   socket and request objects pile up from about 30 to 70 MB before the first full
 *   collection (peak RSS 188-200 MB; with the setting 167-169 MB, CPU per request unchanged).
 */

/** Node arguments loading TypeScript entry files. */
export const TYPESCRIPT_LOADER: readonly string[] = ['--require', 'tsx/cjs'];

/** Young-generation size of the GraphQL BFFs (V8 semi-space, MB). */
export const GRAPHQL_BFF_SEMI_SPACE_MB = 48;

/** Old-generation growth between full collections of the GraphQL BFFs, in percent of the live size. */
export const GRAPHQL_BFF_HEAP_GROWING_PERCENT = 50;

/** V8 heap arguments of the GraphQL BFFs. */
export const GRAPHQL_BFF_HEAP: readonly string[] = [`--max-semi-space-size=${GRAPHQL_BFF_SEMI_SPACE_MB}`, `--heap-growing-percent=${GRAPHQL_BFF_HEAP_GROWING_PERCENT}`];

/** V8 heap arguments of the REST (partner) BFF. */
export const REST_BFF_HEAP: readonly string[] = [`--heap-growing-percent=${GRAPHQL_BFF_HEAP_GROWING_PERCENT}`];

/** The Node arguments of a process: the loader, then `heap` (a GraphQL BFF's, or none). */
export function nodeArguments(heap: readonly string[] = []): string[] {
  return [...heap, ...TYPESCRIPT_LOADER];
}
