/**
 * Subgraph faults for the differential harness, injected at the transport: the fixture
 * subgraph computes its real answer and `rewriteReply` turns it into the fault before it is
 * written to the socket, so the gateway's data source reads a real HTTP answer (or none).
 *
 * A fault is planned per client request (keyed by its `x-request-id`, which Portico
 * forwards to every subgraph call) and applies to the calls to one subgraph: all of them,
 * or those its salt picks by their content. Everything a fault does (which field, which
 * entity, which message) is drawn from a PRNG seeded by the salt and the call's content, so
 * two gateways sending the same call get the same fault, whatever order their calls arrive in.
 */
import fc from 'fast-check';
import { NO_REPLY, type SubgraphReply, type SubgraphRequest } from './fixture';

/** What a fault does to one subgraph answer. */
export type FaultKind =
  /** Errors with a path into the answer (its field nulled), with and without extensions, some with no message. */
  | 'error-with-path'
  /** An error without a path beside the data. */
  | 'error-without-path'
  /** Errors and no `data` at all. */
  | 'errors-without-data'
  /** A field answered null, no error (non-null positions among them). */
  | 'null-field'
  /** A list (`_entities` first) one element shorter than asked. */
  | 'list-shorter'
  /** A list element (an `_entities` entry first) answered null. */
  | 'null-entry'
  /** An object (an `_entities` entry first) naming another `__typename`. */
  | 'wrong-typename'
  /** An object (an `_entities` entry first) missing one of its fields. */
  | 'missing-field'
  /** A 200 whose body is not JSON. */
  | 'not-json'
  /** A 200 JSON body with neither `data` nor `errors`. */
  | 'data-missing'
  /** HTTP 500 with a GraphQL body (`data: null` and an error). */
  | 'http-500-graphql'
  /** HTTP 500 with a text body. */
  | 'http-500-text'
  /** No answer: the gateway's subgraph timeout fires. */
  | 'timeout';

/** Faults a subgraph answers with a 200 and that never count against its circuit breaker. */
export const ANSWER_FAULT_KINDS: readonly FaultKind[] = [
  'error-with-path',
  'error-without-path',
  'errors-without-data',
  'null-field',
  'list-shorter',
  'null-entry',
  'wrong-typename',
  'missing-field',
  'not-json',
  'data-missing',
];

/** Faults of the HTTP exchange itself: 5xx and no answer (breaker failures). */
export const TRANSPORT_FAULT_KINDS: readonly FaultKind[] = ['http-500-graphql', 'http-500-text', 'timeout'];

export interface Fault {
  readonly subgraph: string;
  readonly kind: FaultKind;
  /** Every call to the subgraph, or about half of them, picked by the salt and the call's content. */
  readonly every: boolean;
  readonly salt: number;
}

export interface FaultArbitraryOptions {
  readonly subgraphs: readonly string[];
  readonly kinds: readonly FaultKind[];
  /** Relative weight of `timeout` among the kinds (each other kind weighs 1). Default 1. */
  readonly timeoutWeight?: number;
  /** Most faults planned for one request. Default 2. */
  readonly maxFaults?: number;
}

/** One to `maxFaults` faults for one client request. */
export function faultsArbitrary(options: FaultArbitraryOptions): fc.Arbitrary<Fault[]> {
  const others = options.kinds.filter((kind) => kind !== 'timeout');
  // Each timeout holds a call until the gateway gives up: they are weighed apart to bound a run's wall time.
  const kind: fc.Arbitrary<FaultKind> = options.kinds.includes('timeout')
    ? fc.oneof({ arbitrary: fc.constantFrom(...others), weight: others.length }, { arbitrary: fc.constant<FaultKind>('timeout'), weight: options.timeoutWeight ?? 1 })
    : fc.constantFrom(...others);
  const fault = fc.record({ subgraph: fc.constantFrom(...options.subgraphs), kind, every: fc.boolean(), salt: fc.nat() });
  return fc.array(fault, { minLength: 1, maxLength: options.maxFaults ?? 2 });
}

/** FNV-1a over the text: a stable 32-bit seed from a call's content. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG, so a fault is a pure function of its seed. */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

type Json = Record<string, unknown>;
type Path = Array<string | number>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every place in `value` a fault may touch: object fields (never `__typename`), list elements, objects, lists. */
function places(value: unknown, path: Path, out: { fields: Path[]; objects: Path[]; lists: Path[] }): void {
  if (Array.isArray(value)) {
    out.lists.push(path);
    value.forEach((element, i) => places(element, [...path, i], out));
  } else if (isObject(value)) {
    out.objects.push(path);
    for (const [key, field] of Object.entries(value)) {
      if (key === '__typename') continue;
      out.fields.push([...path, key]);
      places(field, [...path, key], out);
    }
  }
}

function at(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown>)?.[key];
  return value;
}

/** The parent and last key of `path` (never empty) in `root`. */
function parentOf(root: unknown, path: Path): [Record<string | number, unknown>, string | number] {
  return [at(root, path.slice(0, -1)) as Record<string | number, unknown>, path[path.length - 1] as string | number];
}

/** Places under `_entities` when the answer has some (three times in four), else anywhere. */
function pick(random: (n: number) => number, candidates: Path[]): Path | undefined {
  const entities = candidates.filter((path) => path[0] === '_entities' && path.length > 1);
  const pool = entities.length > 0 && random(4) > 0 ? entities : candidates;
  return pool.length === 0 ? undefined : pool[random(pool.length)];
}

/** An injected subgraph error: message, path and extensions in the variants a subgraph may send. */
function injectedError(random: (n: number) => number, subgraph: string, path: Path | undefined): Json {
  const message = random(5) === 0 ? '' : `injected fault in ${subgraph}${path ? ` at ${path.join('.')}` : ''}`;
  const extensions = [
    undefined,
    { code: 'INJECTED_FAULT', detail: 'kept by the gateway, dropped by Portico' },
    { code: 'INVALID_GRAPHQL' },
    { reason: 'no code' },
  ][random(4)];
  return { message, ...(path ? { path } : {}), ...(extensions ? { extensions } : {}) };
}

export interface FaultContext {
  /** Object type names of the API schema (for `wrong-typename`). */
  readonly typenames: readonly string[];
}

/** The reply a fault makes of the subgraph's real reply to `request`. Pure. */
export function applyFault(fault: Fault, request: SubgraphRequest, reply: SubgraphReply, context: FaultContext): SubgraphReply | typeof NO_REPLY {
  const random = prng(hash(`${fault.salt}\u0000${fault.kind}\u0000${request.query}\u0000${JSON.stringify(request.variables ?? {})}`));
  const json = (status: number, body: unknown): SubgraphReply => ({ status, contentType: 'application/json', body: JSON.stringify(body) });
  switch (fault.kind) {
    case 'timeout':
      return NO_REPLY;
    case 'not-json':
      return { status: 200, contentType: 'text/html', body: '<html><body>Bad gateway</body></html>' };
    case 'data-missing':
      return json(200, random(2) === 0 ? {} : { extensions: { note: 'no data' } });
    case 'http-500-graphql':
      return json(500, { data: null, errors: [injectedError(random, fault.subgraph, undefined)] });
    case 'http-500-text':
      return { status: 500, contentType: 'text/plain', body: 'Internal Server Error' };
    default:
      break;
  }
  let answer: Json;
  try {
    answer = JSON.parse(reply.body) as Json;
  } catch {
    return reply;
  }
  const data = answer.data;
  const errors = Array.isArray(answer.errors) ? [...(answer.errors as unknown[])] : [];
  const found = { fields: [] as Path[], objects: [] as Path[], lists: [] as Path[] };
  places(data, [], found);
  switch (fault.kind) {
    case 'error-with-path': {
      const count = 1 + random(2);
      for (let i = 0; i < count; i++) {
        // A field still there: an earlier error of this fault may have nulled its parent.
        const path = pick(random, found.fields.filter((p) => isObject(at(data, p.slice(0, -1)))));
        if (path) {
          const [parent, key] = parentOf(data, path);
          parent[key] = null;
        }
        // Now and then an index no entity has: the gateway has no entity path for it.
        const errorPath = path && path[0] === '_entities' && random(8) === 0 ? ['_entities', 1000, ...path.slice(2)] : path;
        errors.push(injectedError(random, fault.subgraph, errorPath));
      }
      break;
    }
    case 'error-without-path':
      errors.push(injectedError(random, fault.subgraph, undefined));
      break;
    case 'errors-without-data':
      return json(200, { errors: [injectedError(random, fault.subgraph, pick(random, found.fields)), ...errors] });
    case 'null-field': {
      const path = pick(random, found.fields);
      if (path) {
        const [parent, key] = parentOf(data, path);
        parent[key] = null;
      }
      break;
    }
    case 'list-shorter': {
      const path = pick(random, found.lists.filter((p) => (at(data, p) as unknown[]).length > 0));
      if (path) {
        const list = at(data, path) as unknown[];
        list.splice(random(list.length), 1);
      }
      break;
    }
    case 'null-entry': {
      const path = pick(random, found.lists.filter((p) => (at(data, p) as unknown[]).length > 0));
      if (path) {
        const list = at(data, path) as unknown[];
        list[random(list.length)] = null;
      }
      break;
    }
    case 'wrong-typename': {
      const path = pick(random, found.objects.filter((p) => p.length > 0));
      const object = path ? (at(data, path) as Json) : undefined;
      if (object) {
        const others = context.typenames.filter((name) => name !== object.__typename);
        object.__typename = others[random(others.length)];
      }
      break;
    }
    case 'missing-field': {
      const path = pick(random, found.fields);
      if (path) {
        const [parent, key] = parentOf(data, path);
        delete parent[key];
      }
      break;
    }
  }
  return json(200, { ...(answer.data !== undefined ? { data } : {}), ...(errors.length > 0 ? { errors } : {}) });
}

/** Whether `fault` applies to this call: its subgraph, and every call or those its salt picks. */
function applies(fault: Fault, request: SubgraphRequest): boolean {
  if (fault.subgraph !== request.subgraph) return false;
  return fault.every || (hash(`${fault.salt}\u0000${request.query}\u0000${JSON.stringify(request.variables ?? {})}`) & 1) === 0;
}

/** The faults planned per client request id, and the fixture hook that applies them. */
export interface FaultBoard {
  plan(requestId: string, faults: readonly Fault[]): void;
  clear(requestId: string): void;
  rewriteReply(request: SubgraphRequest & { readonly requestId?: string }, reply: SubgraphReply): SubgraphReply | typeof NO_REPLY;
}

export function createFaultBoard(context: FaultContext): FaultBoard {
  const planned = new Map<string, readonly Fault[]>();
  return {
    plan: (requestId, faults) => void planned.set(requestId, faults),
    clear: (requestId) => void planned.delete(requestId),
    rewriteReply(request, reply) {
      const faults = request.requestId === undefined ? undefined : planned.get(request.requestId);
      let current: SubgraphReply | typeof NO_REPLY = reply;
      for (const fault of faults ?? []) {
        if (current === NO_REPLY) break;
        if (applies(fault, request)) current = applyFault(fault, request, current, context);
      }
      return current;
    },
  };
}
