/**
 * The `attacks` group of `npm run bench`: the web BFF with every policy on and its default
 * limits, hit by each attack of the security suite while an ordinary query runs alongside.
 * Per attack: its latency, the largest event-loop delay the gateway saw meanwhile (its own
 * `monitorEventLoopDelay` histogram, read and reset through /metrics), the ordinary query's
 * p99, and how many calls reached the subgraph the attack aims at. Target: every attack
 * refused with its code, under 50 ms of event-loop delay, and no upstream call.
 */
import { deepThroughFragments, fragmentDoubling } from '../helpers/attack-documents';
import { request } from 'undici';
import { webPoliciesOn, graphqlOperation, LIGHT_QUERY, type BenchContext } from './contestants';
import { runLoad } from './load';
import type { LoadSettings } from './options';
import { freePort, waitUntilReady, type ProcessRegistry } from './processes';

/** Id of the group for `--only`. */
export const ATTACK_GROUP_ID = 'attacks';

/** The row measuring the ordinary load alone: the event-loop delay the machine causes without any attack. */
export const CONTROL_ID = 'none (control)';

/** The most event-loop delay an attack may cause, in ms. */
export const ATTACK_EVENT_LOOP_BUDGET_MS = 50;

interface HttpAttack {
  id: string;
  description: string;
  /** Needs a valid token (an authenticated attacker), or none. */
  authenticated: boolean;
  request: (token: string) => { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string };
  status: number;
  code: string;
}

export interface AttackResult {
  id: string;
  description: string;
  /** Refused with the expected status and code, and no upstream call. */
  ok: boolean;
  failure: string | null;
  /** The event-loop delay went over {@link ATTACK_EVENT_LOOP_BUDGET_MS}. */
  overBudget: boolean;
  status: number | null;
  code: string | null;
  attackP50Ms: number | null;
  attackMaxMs: number | null;
  eventLoopDelayMaxMs: number | null;
  concurrentP99Ms: number | null;
  concurrentErrors: number | null;
  upstreamCalls: number | null;
}


const graphql = (query: string) => (token: string) => ({
  method: 'POST' as const,
  path: '/graphql',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ query }),
});

/** Every attack aims at the accounts subgraph (`me`); the ordinary load calls products only. */
export const ATTACKS: readonly HttpAttack[] = [
  { id: 'fragment-bomb-root', description: 'fragment doubling, 24 levels at the root (under 1 KB)', authenticated: true, request: graphql(fragmentDoubling(24, '{ ...F0 }', 'Query', 'me { id }')), status: 400, code: 'TOO_MANY_ROOT_FIELDS' },
  { id: 'fragment-bomb-nested', description: 'fragment doubling, 40 levels under a field', authenticated: true, request: graphql(fragmentDoubling(40, '{ me { ...F0 } }', 'User', 'id')), status: 400, code: 'OPERATION_TOO_COSTLY' },
  { id: 'deep-fragments', description: 'nesting 20 levels deep through fragments', authenticated: true, request: graphql(deepThroughFragments(10)), status: 400, code: 'OPERATION_TOO_DEEP' },
  { id: 'field-duplication', description: '380 copies of a list field', authenticated: true, request: graphql(`{ me { ${'reviews { id body } '.repeat(380)} } }`), status: 400, code: 'OPERATION_TOO_COSTLY' },
  { id: 'alias-flood', description: '500 aliases', authenticated: true, request: graphql(`{ me { ${Array.from({ length: 500 }, (_, i) => `a${i}: id`).join(' ')} } }`), status: 400, code: 'TOO_MANY_ALIASES' },
  { id: 'directive-flood', description: 'one directive repeated 100 times', authenticated: true, request: graphql(`{ me { id ${'@include(if: true) '.repeat(100)} } }`), status: 400, code: 'TOO_MANY_DIRECTIVES' },
  { id: 'token-flood', description: '50,000 tokens', authenticated: true, request: graphql(`{ me { ${'id '.repeat(50_000)} } }`), status: 400, code: 'GRAPHQL_PARSE_FAILED' },
  { id: 'introspection-bomb', description: '__type with 20 levels of ofType', authenticated: true, request: graphql(`{ __type(name: "User") { fields { type { ${'ofType { '.repeat(20)} name ${'} '.repeat(20)} } } } }`), status: 400, code: 'OPERATION_TOO_DEEP' },
  {
    id: 'bearer-backtracking',
    description: 'Authorization: Bearer a.aaa...a! (15,000 characters), no credentials',
    authenticated: false,
    request: () => ({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer a.${'a'.repeat(15_000)}!` }, body: JSON.stringify({ query: '{ me { id } }' }) }),
    status: 401,
    code: 'AUTH_TOKEN_INVALID',
  },
];

async function scrape(origin: string): Promise<string> {
  const res = await request(`${origin}/metrics`);
  return res.body.text();
}

function sample(text: string, prefix: string): number {
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(prefix)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

const ACCOUNTS_CALLS = 'portico_upstream_request_duration_seconds_count{bff="web",upstream="accounts"';

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? null;
}

async function sendAttack(origin: string, attack: HttpAttack, token: string): Promise<{ status: number; code: string | null; ms: number }> {
  const { method, path, headers, body } = attack.request(token);
  const started = performance.now();
  const res = await request(`${origin}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.body.text();
  const ms = performance.now() - started;
  let code: string | null = null;
  try {
    const json = JSON.parse(text) as { code?: string; errors?: Array<{ extensions?: { code?: string } }> };
    code = json.code ?? json.errors?.[0]?.extensions?.code ?? null;
  } catch {
    code = null;
  }
  return { status: res.statusCode, code, ms };
}

/** Runs every attack against one web BFF process; `repeats` sends of each during `windowSec` of ordinary load. */
export async function runAttackGroup(env: {
  registry: ProcessRegistry;
  ctx: BenchContext;
  gatewayCpu: number | undefined;
  settings: LoadSettings;
  repeats: number;
  windowSec: number;
  /** Environment added to the BFF's (the smoke run's smaller warm-up). */
  modeEnv?: Readonly<Record<string, string>>;
  log(line: string): void;
}): Promise<AttackResult[]> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // Every policy on with the shipped limits: the bench's generous cost limit is left out.
  const { GRAPHQL_MAX_COST: _generous, ...gatewayEnv } = webPoliciesOn.env(env.ctx);
  const child = env.registry.start({ name: 'attacks/web-policies-on', role: 'gateway', entry: webPoliciesOn.entry, env: { ...gatewayEnv, ...env.modeEnv, PORT: String(port), HOST: '127.0.0.1' }, cpu: env.gatewayCpu });
  const results: AttackResult[] = [];
  try {
    await waitUntilReady(child, origin, webPoliciesOn.ready);
    const ordinary = graphqlOperation(LIGHT_QUERY)(env.ctx);
    await runLoad(origin, ordinary, env.settings, Math.min(1, env.windowSec));
    for (const attack of [undefined, ...ATTACKS]) {
      env.log(`  attacks/${attack?.id ?? CONTROL_ID}: ${attack?.description ?? 'the ordinary load alone, for comparison'}`);
      const before = await scrape(origin);
      const load = runLoad(origin, ordinary, env.settings, env.windowSec);
      const sends: Array<{ status: number; code: string | null; ms: number }> = [];
      const deadline = performance.now() + env.windowSec * 1_000;
      while (attack && sends.length < env.repeats && performance.now() < deadline) sends.push(await sendAttack(origin, attack, env.ctx.token));
      const concurrent = await load;
      const after = await scrape(origin);
      const lagMaxSec = sample(after, 'portico_nodejs_eventloop_lag_max_seconds');
      const wrong = attack && sends.find((s) => s.status !== attack.status || s.code !== attack.code);
      const upstreamCalls = sample(after, ACCOUNTS_CALLS) - sample(before, ACCOUNTS_CALLS);
      const eventLoopDelayMaxMs = lagMaxSec * 1_000;
      // A wrong answer or an upstream call is a broken defence; a delay over budget is reported (a loaded machine can cause one).
      const failure = wrong ? `answered ${wrong.status} ${wrong.code ?? ''}, expected ${attack?.status} ${attack?.code}` : upstreamCalls > 0 ? `${upstreamCalls} call(s) reached the accounts subgraph` : null;
      results.push({
        id: attack?.id ?? CONTROL_ID,
        description: attack?.description ?? 'the ordinary load alone, for comparison',
        ok: failure === null,
        failure,
        overBudget: eventLoopDelayMaxMs > ATTACK_EVENT_LOOP_BUDGET_MS,
        status: sends[0]?.status ?? null,
        code: sends[0]?.code ?? null,
        attackP50Ms: percentile(sends.map((s) => s.ms), 0.5),
        attackMaxMs: percentile(sends.map((s) => s.ms), 1),
        eventLoopDelayMaxMs,
        concurrentP99Ms: concurrent.p99Ms ?? null,
        concurrentErrors: concurrent.non2xx + concurrent.socketErrors,
        upstreamCalls,
      });
    }
  } finally {
    await child.stop();
  }
  return results;
}

const fixed = (value: number | null, digits = 1) => (value === null ? '-' : value.toFixed(digits));

/** The attack table for stdout. */
export function formatAttacks(results: readonly AttackResult[]): string {
  const header = ['attack', 'answer', 'attack p50 ms', 'attack max ms', 'event loop max ms', 'ordinary p99 ms', 'ordinary errors', 'upstream calls', ''];
  const rows = results.map((r) => [
    r.id,
    r.status === null ? '-' : `${r.status} ${r.code ?? ''}`,
    fixed(r.attackP50Ms),
    fixed(r.attackMaxMs),
    fixed(r.eventLoopDelayMaxMs),
    fixed(r.concurrentP99Ms),
    r.concurrentErrors === null ? '-' : String(r.concurrentErrors),
    r.upstreamCalls === null ? '-' : String(r.upstreamCalls),
    !r.ok ? `FAILED: ${r.failure}` : r.overBudget ? 'ok, OVER the event-loop budget' : r.id === CONTROL_ID ? '' : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 1 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [`Attacks on the web BFF, every policy on, default limits (budget: ${ATTACK_EVENT_LOOP_BUDGET_MS} ms of event-loop delay, no upstream call)`, line(header), ...rows.map(line)].join('\n');
}

