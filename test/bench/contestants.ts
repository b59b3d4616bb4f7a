/**
 * What the benchmark measures: groups of GraphQL (two heavy queries, a light one, the
 * response cache) and REST, each with a baseline (the denominator of every ratio in the
 * group), the Portico contestants and reference points, all sending the same request. The
 * heavy and light GraphQL groups also measure the Node federation gateways Portico competes
 * with (Hive Gateway with either query planner, the Mercurius gateway) over the same
 * subgraphs; the REST group measures nginx, haproxy and plain Node proxies.
 */
import { BFF_AUDIENCES, DEV_ISSUER } from '../../shared/dev/dev-keys';
import { GRAPHQL_BFF_HEAP, REST_BFF_HEAP, nodeArguments } from '../../shared/node-runtime';
import { SUBGRAPH_GRAPHQL_PATH, SUBGRAPH_NAMES, type SubgraphName } from '../../supergraph/subgraphs/catalog';
import type { NativeBinary } from './native-binary';
import type { ReadinessProbe } from './processes';
import { haproxyCommand, nginxCommand, type NativeCommand, type ProxyTarget } from './proxy-configs';

/** Group ids, also the first half of the `--only` match text. */
export type GroupId = 'graphql-heavy' | 'graphql-heavy-benchmark' | 'graphql-light' | 'graphql-cached' | 'rest';

/** Everything a contestant's environment or request may depend on, known once the upstream services run. */
export interface BenchContext {
  /** `http://127.0.0.1:<port>` of each shared upstream service. */
  upstreamOrigins: Record<SubgraphName, string>;
  /** A dev JWT accepted by the web BFF with AUTH=required. */
  token: string;
  /** API key file holding the benchmark's partner key. */
  apiKeysFile: string;
  /** A partner API key on an unlisted plan, so the `default` plan rule (RATE_LIMIT_PER_MIN) applies. */
  apiKey: string;
  /** OTLP/HTTP endpoint that accepts and discards spans (trace-sink.ts), for the tracing contestant. */
  traceSinkEndpoint: string;
}

/** One HTTP request, sent identically on every connection. */
export interface Operation {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What every contestant has, whatever kind of program it is. */
interface ContestantBase {
  id: string;
  /** One line for the table's legend. */
  description: string;
  ready: ReadinessProbe;
  /** The operation's path on this contestant, when it differs from the group's. */
  path?: string;
  /**
   * The one difference from the baseline's body this contestant may show, stated because
   * no setting of the contestant removes it; every other byte must equal the baseline's.
   */
  bodyAllowance?: BodyAllowance;
  /** In the default smoke run (`--smoke` without `--only`), the one group this contestant runs in; unset: every group it belongs to. */
  smokeGroup?: GroupId;
}

/** A Node contestant: a TypeScript entry file started fresh for each group it takes part in. */
export interface NodeContestantSpec extends ContestantBase {
  kind: 'node';
  /** Entry file, relative to the repository root. */
  entry: string;
  /** Node's arguments before the entry, as Portico ships them for this process (shared/node-runtime.ts); default: the TypeScript loader only. */
  nodeArgs?: readonly string[];
  /** Environment of the process; PORT and HOST are added by the harness. */
  env(ctx: BenchContext): Record<string, string>;
}

/**
 * A native program (nginx, haproxy) configured by files the harness generates. When the
 * program cannot be had (not installed in smoke mode, no apt-get, the install fails, it
 * does not start), the contestant is skipped, not failed.
 */
export interface NativeContestantSpec extends ContestantBase {
  kind: 'native';
  binary: NativeBinary;
  /** Command line and config files of the program at `binaryPath` listening on `port`, its files in `dir`. */
  command(ctx: BenchContext, binaryPath: string, target: Omit<ProxyTarget, 'upstreamOrigin'>): NativeCommand;
}

/** One contestant: a process started fresh for each group it takes part in. */
export type ContestantSpec = NodeContestantSpec | NativeContestantSpec;

/** What the partner BFF (policies on) is held to against nginx in the same run (issue 15). */
export interface PeerTargets {
  /** The measured contestant. */
  subjectId: string;
  /** The contestant its CPU per request and p99 are compared with; the line is printed only when it ran. */
  referenceId: string;
  /** Largest CPU µs per request, as a multiple of the reference's. */
  maxCpuRatio: number;
  /** Largest p99 latency, as a multiple of the reference's. */
  maxP99Ratio: number;
  /** Smallest RPS, as a share of the group's baseline. */
  minRpsRatio: number;
  /** Largest peak RSS, in MiB. */
  maxPeakRssMiB: number;
}

/**
 * `no-final-newline`: the body is the baseline's without its final newline. Apollo Server
 * (the GraphQL baseline, and Portico) ends every JSON body with `\n`; Hive Gateway (GraphQL
 * Yoga) and Mercurius (Fastify) write the JSON alone, and neither has a setting to add one.
 */
export type BodyAllowance = 'no-final-newline';

/** A group of contestants answering the same operation; ratios are to its baseline. */
export interface GroupSpec {
  id: GroupId;
  title: string;
  /** GraphQL responses are also checked for `errors`. */
  kind: 'graphql' | 'rest';
  /** The request every contestant of the group gets (path overridable per contestant). */
  operation(ctx: BenchContext): Operation;
  /** First contestant: the baseline. */
  contestants: readonly ContestantSpec[];
  /** Targets shown under the group's table, when the group has some. */
  targets?: PeerTargets;
}

/** Largest limit the rate-limit variables accept: nothing is refused during a run. */
export const GENEROUS_RATE_LIMIT = '60000000';

/**
 * Above the heavy query's estimated cost (about 17,700 with the default list-size
 * assumption of 20 per unbounded list; the default limit is 10,000), so the web BFF
 * executes the query instead of refusing it. Analysis still runs and the cost is still
 * charged to the rate limit.
 */
export const BENCH_GRAPHQL_MAX_COST = '1000000';

/**
 * `topProducts(first: N)` of the heavy query: N = 1 gives a response of about 55 KB. Its
 * user branch starts at `user(id: "1")`, readable by any caller (the user list needs the
 * `customers:read` scope), so every contestant, authenticated or not, gives the same answer.
 */
export const HEAVY_QUERY_SIZE = 1;

/** user -> reviews -> product -> reviews -> author -> reviews -> product, and the same nesting from topProducts. */
export const HEAVY_QUERY = `query BenchHeavy {
  user(id: "1") {
    id
    reviews { id product { upc reviews { id author { id reviews { id product { upc name } } } } } }
  }
  topProducts(first: ${HEAVY_QUERY_SIZE}) {
    upc
    reviews { id author { id reviews { id product { upc reviews { id author { username } } } } } }
  }
}`;

/**
 * `topProducts(first: N)` of the benchmark-shaped query: with one user, N = 3 gives a
 * response of about 90 KB (89.3 KiB), the size of the public federation benchmark's.
 */
export const FEDERATION_BENCHMARK_QUERY_TOP_PRODUCTS = 3;

/**
 * Shaped like the query of the public federation gateway benchmark: the same fragments
 * (with the demo's fields: `shippingEstimate` needs `price` and `weight` from another
 * subgraph through `@requires`) and the same two branches, users -> reviews -> product ->
 * reviews -> author -> reviews -> product, and topProducts -> reviews -> author -> reviews
 * -> product. Its user branch starts at `user(id: "1")` instead of the user list, which
 * needs the `customers:read` scope: every contestant, authenticated or not, answers the same.
 */
export const FEDERATION_BENCHMARK_QUERY = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query BenchFederation {
  user(id: "1") { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts(first: ${FEDERATION_BENCHMARK_QUERY_TOP_PRODUCTS}) { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`;

/** The light query: one subgraph, five products, two fields each. */
export const LIGHT_QUERY = '{ topProducts(first: 5) { name price } }';

/** Environment of every process the benchmark starts: quiet logs, production mode (Portico and Apollo Server both follow NODE_ENV), without the deployment checks (the bench runs on dev keys over loopback). */
/** How Portico ships its GraphQL BFFs (shared/node-runtime.ts): the bench runs them the same way. */
const GRAPHQL_BFF_NODE_ARGS = nodeArguments(GRAPHQL_BFF_HEAP);

export const BENCH_PROCESS_ENV = { LOG_LEVEL: 'error', NODE_ENV: 'production', PRODUCTION_CHECKS: 'off' };

const PORTICO_READY: ReadinessProbe = { method: 'GET', path: '/readyz' };

/** One process (no cluster workers): the gateway gets one core, and its CPU and RSS are read from one pid. */
const SINGLE_PROCESS = { WORKERS: '1' };

function subgraphUrlEnv(ctx: BenchContext): Record<string, string> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`SUBGRAPH_URL_${name.toUpperCase()}`, `${ctx.upstreamOrigins[name]}${SUBGRAPH_GRAPHQL_PATH}`]));
}

function upstreamUrlEnv(ctx: BenchContext): Record<string, string> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [`UPSTREAM_URL_${name.toUpperCase()}`, ctx.upstreamOrigins[name]]));
}

const generousRateLimits = { RATE_LIMIT: 'on', RATE_LIMIT_PER_MIN: GENEROUS_RATE_LIMIT, RATE_LIMIT_PER_IP_PER_MIN: GENEROUS_RATE_LIMIT };

export const webPoliciesOn: NodeContestantSpec = {
  id: 'web-policies-on',
  description: 'Portico web BFF: JWT (JWKS from the accounts service), rate limit on (generous), breakers',
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({
    ...BENCH_PROCESS_ENV,
    ...SINGLE_PROCESS,
    ...subgraphUrlEnv(ctx),
    AUTH: 'required',
    JWT_JWKS_URL: `${ctx.upstreamOrigins.accounts}/.well-known/jwks.json`,
    JWT_ISSUER: DEV_ISSUER,
    JWT_AUDIENCE: BFF_AUDIENCES.web,
    ...generousRateLimits,
    GRAPHQL_MAX_COST: BENCH_GRAPHQL_MAX_COST,
  }),
  ready: PORTICO_READY,
};

const webPoliciesOnNoDedup: NodeContestantSpec = {
  id: 'web-policies-on-no-dedup',
  description: 'Portico web BFF as web-policies-on, with subgraph deduplication off (SUBGRAPH_DEDUP=off): every connection sends the same query, the best case for it',
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({ ...webPoliciesOn.env(ctx), SUBGRAPH_DEDUP: 'off' }),
  ready: PORTICO_READY,
};

const webPoliciesOnApolloExecutor: NodeContestantSpec = {
  id: 'web-policies-on-apollo-executor',
  description: "Portico web BFF as web-policies-on, with Apollo Gateway's executor instead of Portico's (GRAPHQL_EXECUTOR=apollo): the executor's share in one run",
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({ ...webPoliciesOn.env(ctx), GRAPHQL_EXECUTOR: 'apollo' }),
  ready: PORTICO_READY,
  smokeGroup: 'graphql-heavy',
};

const webPoliciesOnApolloServerPipeline: NodeContestantSpec = {
  id: 'web-policies-on-apollo-server-pipeline',
  description: "Portico web BFF as web-policies-on, with direct execution off (GRAPHQL_DIRECT_EXECUTION=off): every request through Apollo Server's request pipeline",
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({ ...webPoliciesOn.env(ctx), GRAPHQL_DIRECT_EXECUTION: 'off' }),
  ready: PORTICO_READY,
  smokeGroup: 'graphql-light',
};

/**
 * What tracing costs: web-policies-on with every request traced (100% sampling) and its
 * spans exported to a sink that discards them. web-policies-on itself is the tracing-off
 * figure (no OTEL_* variable: no SDK loaded, no hook registered).
 */
const webPoliciesOnTracing: NodeContestantSpec = {
  id: 'web-policies-on-tracing',
  description: 'Portico web BFF as web-policies-on, with OpenTelemetry tracing on: every request sampled (OTEL_TRACES_SAMPLER=always_on), spans exported over OTLP/HTTP to a local sink that discards them',
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({ ...webPoliciesOn.env(ctx), OTEL_EXPORTER_OTLP_ENDPOINT: ctx.traceSinkEndpoint, OTEL_TRACES_SAMPLER: 'always_on' }),
  ready: PORTICO_READY,
  smokeGroup: 'graphql-light',
};

const webPoliciesOff: NodeContestantSpec = {
  id: 'web-policies-off',
  description: 'Portico web BFF: AUTH=off, RATE_LIMIT=off (breakers stay on)',
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...SINGLE_PROCESS, ...subgraphUrlEnv(ctx), AUTH: 'off', RATE_LIMIT: 'off', GRAPHQL_MAX_COST: BENCH_GRAPHQL_MAX_COST }),
  ready: PORTICO_READY,
};

/** A GraphQL POST every gateway answers once it has loaded its schema and can plan. */
const TYPENAME_READY: ReadinessProbe = { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) };

const apolloBaseline: NodeContestantSpec = {
  id: 'apollo-gateway-baseline',
  description: 'plain Apollo Gateway (committed supergraph, default data sources) on Apollo Server standalone',
  kind: 'node',
  entry: 'test/bench/apollo-baseline.ts',
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...subgraphUrlEnv(ctx) }),
  ready: TYPENAME_READY,
};

/**
 * Reference, not a target: plain Apollo Gateway given the young generation Portico gives
 * its GraphQL BFFs, so a reader sees what of Portico's lead is that setting and what is
 * Portico. Heavy group only (the setting matters where requests allocate megabytes).
 */
const apolloBaselineWithPorticoHeap: NodeContestantSpec = {
  ...apolloBaseline,
  id: 'apollo-gateway-portico-heap',
  description: `reference: plain Apollo Gateway as apollo-gateway-baseline, run with Portico's GraphQL BFF heap setting (${GRAPHQL_BFF_HEAP.join(' ')})`,
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
};

const hiveGateway: NodeContestantSpec = {
  id: 'hive-gateway',
  description: "peer: Hive Gateway (@graphql-hive/gateway-runtime, committed supergraph, its default JavaScript query planner) on node:http",
  kind: 'node',
  entry: 'test/bench/hive-gateway.ts',
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...subgraphUrlEnv(ctx), HIVE_ROUTER_RUNTIME: 'off' }),
  ready: TYPENAME_READY,
  bodyAllowance: 'no-final-newline',
};

const hiveGatewayRustPlanner: NodeContestantSpec = {
  id: 'hive-gateway-rust-planner',
  description: "peer: Hive Gateway as hive-gateway, with Hive Router's Rust query planner and its executor (@graphql-hive/router-runtime)",
  kind: 'node',
  entry: 'test/bench/hive-gateway.ts',
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...subgraphUrlEnv(ctx), HIVE_ROUTER_RUNTIME: 'on' }),
  ready: TYPENAME_READY,
  bodyAllowance: 'no-final-newline',
};

const mercuriusGateway: NodeContestantSpec = {
  id: 'mercurius-gateway',
  description: "peer: Mercurius federation gateway (@mercuriusjs/gateway) on Fastify, given the subgraph services (schemas in federation v1's dialect)",
  kind: 'node',
  entry: 'test/bench/mercurius-gateway.ts',
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...subgraphUrlEnv(ctx) }),
  ready: TYPENAME_READY,
  bodyAllowance: 'no-final-newline',
};

/**
 * The Node federation gateways Portico competes with, measured beside the Apollo Gateway
 * baseline. The smoke run inside `npm test` starts each in one group only: a peer takes
 * 4-9 s to start and answer on the shared 2-core machine, so three peers in three groups
 * would add about 90 s; the benchmark-shaped query (fragments, `@requires`, four
 * subgraphs) proves each entry and its body check.
 */
const PEER_GATEWAYS: readonly ContestantSpec[] = [hiveGateway, hiveGatewayRustPlanner, mercuriusGateway].map((peer) => ({ ...peer, smokeGroup: 'graphql-heavy-benchmark' }));

const partnerPoliciesOn: NodeContestantSpec = {
  id: 'partner-policies-on',
  description: 'Portico partner BFF: API key, rate limit on (generous), breakers; passthrough GET /v1/products/1',
  kind: 'node',
  entry: 'bffs/partner/main.ts',
  nodeArgs: nodeArguments(REST_BFF_HEAP),
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...SINGLE_PROCESS, ...upstreamUrlEnv(ctx), AUTH: 'required', API_KEYS_FILE: ctx.apiKeysFile, ...generousRateLimits }),
  ready: PORTICO_READY,
  path: '/v1/products/1',
};

const partnerPoliciesOnFullPipeline: NodeContestantSpec = {
  id: 'partner-policies-on-full-pipeline',
  description: 'Portico partner BFF as partner-policies-on, with the passthrough fast path off (PASSTHROUGH_FAST_PATH=off): every request through the whole Fastify pipeline',
  kind: 'node',
  entry: 'bffs/partner/main.ts',
  nodeArgs: nodeArguments(REST_BFF_HEAP),
  env: (ctx) => ({ ...partnerPoliciesOn.env(ctx), PASSTHROUGH_FAST_PATH: 'off' }),
  ready: PORTICO_READY,
  path: '/v1/products/1',
};

const directUpstream: NodeContestantSpec = {
  id: 'direct-upstream',
  description: 'a fresh products service on the gateway CPU, GET /products/1 (no gateway)',
  kind: 'node',
  entry: 'supergraph/subgraphs/main.ts',
  env: () => ({ ...BENCH_PROCESS_ENV, SUBGRAPH: 'products' }),
  ready: { method: 'GET', path: '/healthz' },
  path: '/products/1',
};

const nodeProxyFloor: NodeContestantSpec = {
  id: 'node-proxy-floor',
  description: 'reference, not Portico: node:http + undici pool, no framework, no policy; GET /products/1 proxied',
  kind: 'node',
  entry: 'test/bench/node-proxy-floor.ts',
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, UPSTREAM_URL_PRODUCTS: ctx.upstreamOrigins.products }),
  ready: { method: 'GET', path: '/healthz' },
  path: '/products/1',
};

/** A proxy forwarding the group's path unchanged to the products service: ready once the service's health check answers through it. */
const PROXIED_HEALTH_CHECK: ReadinessProbe = { method: 'GET', path: '/healthz' };

const nginx: NativeContestantSpec = {
  id: 'nginx',
  kind: 'native',
  description: 'reference, not Portico: nginx reverse proxy, one process (master_process off), upstream keep-alive pool, access log off; GET /products/1 proxied',
  binary: { name: 'nginx', debianPackages: ['nginx-light', 'nginx'] },
  command: (ctx, binaryPath, target) => nginxCommand(binaryPath, { ...target, upstreamOrigin: ctx.upstreamOrigins.products }),
  ready: PROXIED_HEALTH_CHECK,
  path: '/products/1',
};

const haproxy: NativeContestantSpec = {
  id: 'haproxy',
  kind: 'native',
  description: 'reference, not Portico: haproxy in http mode, nbthread 1, foreground (-db), keep-alive to the server; GET /products/1 proxied',
  binary: { name: 'haproxy', debianPackages: ['haproxy'] },
  command: (ctx, binaryPath, target) => haproxyCommand(binaryPath, { ...target, upstreamOrigin: ctx.upstreamOrigins.products }),
  ready: PROXIED_HEALTH_CHECK,
  path: '/products/1',
};

const fastifyHttpProxy: NodeContestantSpec = {
  id: 'fastify-http-proxy',
  kind: 'node',
  description: 'reference, not Portico: plain Fastify + @fastify/http-proxy, default options, nothing else; GET /products/1 proxied',
  entry: 'test/bench/fastify-proxy-baseline.ts',
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, UPSTREAM_URL_PRODUCTS: ctx.upstreamOrigins.products }),
  ready: PROXIED_HEALTH_CHECK,
  path: '/products/1',
};

const partnerPoliciesOff: NodeContestantSpec = {
  id: 'partner-policies-off',
  kind: 'node',
  description: 'Portico partner BFF: AUTH=off, RATE_LIMIT=off (breakers stay on); passthrough GET /v1/products/1',
  entry: 'bffs/partner/main.ts',
  nodeArgs: nodeArguments(REST_BFF_HEAP),
  env: (ctx) => ({ ...BENCH_PROCESS_ENV, ...SINGLE_PROCESS, ...upstreamUrlEnv(ctx), AUTH: 'off', RATE_LIMIT: 'off' }),
  ready: PORTICO_READY,
  path: '/v1/products/1',
};

const webPoliciesOnCached: NodeContestantSpec = {
  id: 'web-policies-on-cached',
  description: 'Portico web BFF as web-policies-on, plus the in-memory response cache (RESPONSE_CACHE=memory)',
  kind: 'node',
  entry: 'bffs/web/main.ts',
  nodeArgs: GRAPHQL_BFF_NODE_ARGS,
  env: (ctx) => ({ ...webPoliciesOn.env(ctx), RESPONSE_CACHE: 'memory' }),
  ready: PORTICO_READY,
};

export function graphqlOperation(query: string) {
  return (ctx: BenchContext): Operation => ({
    method: 'POST',
    path: '/graphql',
    // Every contestant gets the same bytes, token included; only web-policies-on verifies it.
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${ctx.token}` },
    body: JSON.stringify({ query }),
  });
}

/** Every group, baseline first in each; run in this order. */
export const BENCH_GROUPS: readonly GroupSpec[] = [
  {
    id: 'graphql-heavy',
    kind: 'graphql',
    title: 'GraphQL, heavy query (a user and topProducts, three levels of reviews)',
    operation: graphqlOperation(HEAVY_QUERY),
    contestants: [apolloBaseline, ...PEER_GATEWAYS, webPoliciesOn, webPoliciesOnTracing, webPoliciesOnApolloServerPipeline, webPoliciesOnApolloExecutor, webPoliciesOnNoDedup, webPoliciesOff, apolloBaselineWithPorticoHeap],
  },
  {
    id: 'graphql-heavy-benchmark',
    kind: 'graphql',
    title: "GraphQL, heavy query shaped like the public federation benchmark's (fragments, @requires, users and topProducts branches)",
    operation: graphqlOperation(FEDERATION_BENCHMARK_QUERY),
    contestants: [apolloBaseline, ...PEER_GATEWAYS, webPoliciesOn, webPoliciesOnApolloExecutor, webPoliciesOff],
  },
  {
    id: 'graphql-light',
    kind: 'graphql',
    title: 'GraphQL, light query ({ topProducts(first: 5) { name price } })',
    operation: graphqlOperation(LIGHT_QUERY),
    contestants: [apolloBaseline, ...PEER_GATEWAYS, webPoliciesOn, webPoliciesOnTracing, webPoliciesOnApolloServerPipeline, webPoliciesOnApolloExecutor, webPoliciesOff],
  },
  {
    id: 'graphql-cached',
    kind: 'graphql',
    title: 'GraphQL, the heavy query repeated, response cache off (baseline) and on',
    operation: graphqlOperation(HEAVY_QUERY),
    contestants: [webPoliciesOn, webPoliciesOnCached],
  },
  {
    id: 'rest',
    kind: 'rest',
    title: 'REST, one product',
    operation: (ctx) => ({ method: 'GET', path: '/products/1', headers: { accept: 'application/json', 'x-api-key': ctx.apiKey } }),
    contestants: [directUpstream, nginx, haproxy, nodeProxyFloor, fastifyHttpProxy, partnerPoliciesOn, partnerPoliciesOnFullPipeline, partnerPoliciesOff],
    // Issue 15: a partner passthrough at the cost of a C proxy.
    targets: { subjectId: partnerPoliciesOn.id, referenceId: nginx.id, maxCpuRatio: 2, maxP99Ratio: 2, minRpsRatio: 0.6, maxPeakRssMiB: 128 },
  },
];

/** The groups as the default smoke run measures them: a contestant with a `smokeGroup` only in that group. */
export function smokeContestants(groups: readonly GroupSpec[]): GroupSpec[] {
  return groups.map((group) => ({
    ...group,
    contestants: group.contestants.filter((c, index) => index === 0 || c.smokeGroup === undefined || c.smokeGroup === group.id),
  }));
}

/**
 * The groups and contestants selected by `--only`: contestants whose `<group>/<contestant>`
 * id contains the text, each group keeping its baseline (needed for the body check and
 * the ratio); groups with no match are left out.
 */
export function selectContestants(groups: readonly GroupSpec[], only: string | undefined): GroupSpec[] {
  if (only === undefined) return [...groups];
  const selected: GroupSpec[] = [];
  for (const group of groups) {
    const [baseline, ...others] = group.contestants;
    if (!baseline) continue;
    const matches = (c: ContestantSpec) => `${group.id}/${c.id}`.includes(only);
    const kept = others.filter(matches);
    if (kept.length > 0 || matches(baseline)) selected.push({ ...group, contestants: [baseline, ...kept] });
  }
  return selected;
}
