/**
 * Runs a query plan: sends its fetches in the order the plan says and merges every answer
 * in place into one plain-object tree (the response's raw data), which the response
 * projection then shapes for the client. Compiled once per plan: entity fetches carry a
 * precomputed representation extractor (keys and `@requires` inputs, type conditions
 * resolved to sets of type names), rewrites and the variables each fetch forwards, so a
 * request walks closures over plain data.
 *
 * Semantics follow Apollo Gateway's plan execution (the differential tests hold it to
 * that): the same subgraph requests, the same merge, the same errors. One deliberate
 * difference: an entity error's path is that of the entity its representation came from;
 * Apollo Gateway indexes entities as if none had been skipped for not matching the fetch's
 * type conditions, and so names the wrong entity when one was.
 */
import type { ConditionNode, FetchDataRewrite, FetchNode, PlanNode, QueryPlan, QueryPlanSelectionNode } from '@apollo/query-planner';
import { GraphQLError, isAbstractType, isInterfaceType, isObjectType, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { ResponsePath } from './response-projection';

type JsonObject = Record<string, unknown>;

/** What a fetch sends: the subgraph, its operation and variables, and where in the response it lands. */
export interface SubgraphRequest {
  fetch: FetchNode;
  variables: JsonObject;
  /** Path of the fetch's cursor in the response (`@` for lists), as the gateway passes it to data sources. */
  path: ResponsePath;
}

export interface SubgraphAnswer {
  data?: JsonObject | null;
  errors?: readonly GraphQLFormattedError[];
}

export interface PlanRequest {
  variables: Readonly<JsonObject>;
  /** Default values of the operation's variables (for `@skip`/`@include` conditions the client left out). */
  variableDefaults: ReadonlyMap<string, unknown>;
  send(request: SubgraphRequest): Promise<SubgraphAnswer>;
}

export interface PlanResult {
  /** The merged raw data (more fields than the operation asked; the projection shapes it). */
  data: JsonObject;
  /** Fetch errors, client-facing (paths in the client's response), as Apollo Gateway builds them. */
  errors: Error[];
}

/** A plan this executor does not run; the caller hands it to Apollo Gateway's executor. */
export class UnsupportedPlanError extends Error {}

interface Cursor {
  path: ResponsePath;
  data: JsonObject | Array<unknown>;
}

interface RunState {
  request: PlanRequest;
  root: JsonObject;
  errors: Error[];
}

type Step = (state: RunState, cursor: Cursor) => Promise<void>;

export interface CompiledPlan {
  run(request: PlanRequest): Promise<PlanResult>;
}

/** Compiles `plan`; throws UnsupportedPlanError for what only Apollo Gateway runs (`@defer`, subscriptions, `@fromContext`). */
export function compilePlan(plan: QueryPlan, supergraphSchema: GraphQLSchema): CompiledPlan {
  const node = plan.node;
  if (node?.kind === 'Subscription') throw new UnsupportedPlanError('subscription');
  const step = node ? compileNode(node, supergraphSchema) : undefined;
  return {
    async run(request) {
      const root: JsonObject = {};
      const state: RunState = { request, root, errors: [] };
      if (step) await step(state, { path: [], data: root });
      return { data: root, errors: state.errors };
    },
  };
}

function compileNode(node: PlanNode, schema: GraphQLSchema): Step {
  switch (node.kind) {
    case 'Sequence': {
      const steps = node.nodes.map((n) => compileNode(n, schema));
      return async (state, cursor) => {
        for (const step of steps) await step(state, cursor);
      };
    }
    case 'Parallel': {
      const steps = node.nodes.map((n) => compileNode(n, schema));
      return async (state, cursor) => {
        await Promise.all(steps.map((step) => step(state, cursor)));
      };
    }
    case 'Flatten': {
      const step = compileNode(node.node, schema);
      const path = node.path;
      return async (state, cursor) => {
        const data = flattenAt(cursor.data, path, 0);
        if (data === undefined || data === null) return;
        await step(state, { path: cursor.path.concat(path), data: data as Cursor['data'] });
      };
    }
    case 'Fetch':
      return compileFetch(node, schema);
    case 'Condition':
      return compileCondition(node, schema);
    case 'Defer':
      throw new UnsupportedPlanError('@defer');
  }
}

function compileCondition(node: ConditionNode, schema: GraphQLSchema): Step {
  const ifStep = node.ifClause ? compileNode(node.ifClause, schema) : undefined;
  const elseStep = node.elseClause ? compileNode(node.elseClause, schema) : undefined;
  const variable = node.condition;
  return async (state, cursor) => {
    const { variables, variableDefaults } = state.request;
    let value = Object.hasOwn(variables, variable) ? variables[variable] : undefined;
    if (value === undefined) value = variableDefaults.get(variable);
    if (typeof value !== 'boolean') throw new Error(`Invalid non-boolean value ${String(value)} for Boolean! variable $${variable}`);
    const step = value ? ifStep : elseStep;
    if (step) await step(state, cursor);
  };
}

/** The values at `path` under `value`, lists (`@`) flattened into one list. */
function flattenAt(value: unknown, path: ResponsePath, from: number): unknown {
  if (from === path.length || value === undefined || value === null) return value;
  const head = path[from];
  if (head === '@') {
    if (!Array.isArray(value)) throw new Error(`Expected a list in the response at '@'`);
    const out: unknown[] = [];
    for (const element of value) {
      // One level flattened, as `flatMap` does: a list of lists at the end of the path included.
      const inner = flattenAt(element, path, from + 1);
      if (Array.isArray(inner)) out.push(...inner);
      else out.push(inner);
    }
    return out;
  }
  if (Array.isArray(value)) throw new Error(`Unexpected list in the response at path element ${String(head)}`);
  return flattenAt(Object.hasOwn(value as JsonObject, head as string) ? (value as JsonObject)[head as string] : undefined, path, from + 1);
}

function compileFetch(fetch: FetchNode, schema: GraphQLSchema): Step {
  if (fetch.hasDefers) throw new UnsupportedPlanError('@defer');
  if (fetch.contextRewrites && fetch.contextRewrites.length > 0) throw new UnsupportedPlanError('@fromContext');
  const usages = fetch.variableUsages ?? [];
  const outputRewrites = compileRewrites(fetch.outputRewrites, schema);
  const inputRewrites = compileRewrites(fetch.inputRewrites, schema);
  const extract = fetch.requires ? compileExtractor(fetch.requires, schema) : undefined;

  const variablesOf = (request: PlanRequest): JsonObject => {
    const variables: JsonObject = {};
    for (const name of usages) {
      if (Object.hasOwn(request.variables, name) && request.variables[name] !== undefined) variables[name] = request.variables[name];
    }
    return variables;
  };

  return async (state, cursor) => {
    try {
      const entities: JsonObject[] = [];
      if (Array.isArray(cursor.data)) {
        for (const entity of cursor.data) if (entity !== null && entity !== undefined) entities.push(entity as JsonObject);
      } else {
        entities.push(cursor.data);
      }
      if (entities.length === 0) return;
      const variables = variablesOf(state.request);
      if (!extract) {
        const data = await send(state, variables, cursor, undefined);
        if (!data) return;
        outputRewrites?.(data);
        for (const entity of entities) deepMerge(entity, data);
        return;
      }
      const representations: JsonObject[] = [];
      const entityOf: number[] = [];
      for (let i = 0; i < entities.length; i++) {
        const representation = extract(entities[i] as JsonObject);
        if (representation && representation.__typename) {
          inputRewrites?.(representation);
          representations.push(representation);
          entityOf.push(i);
        }
      }
      if (representations.length === 0) return;
      if (Object.hasOwn(variables, 'representations')) throw new Error('Variables cannot contain key "representations"');
      variables.representations = representations;
      const data = await send(state, variables, cursor, entityOf);
      if (!data) return;
      const received = data._entities;
      if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
      if (received.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
      for (let i = 0; i < received.length; i++) {
        const entity = received[i] as JsonObject | null;
        const target = entities[entityOf[i] as number] as JsonObject;
        if (entity && !entity.__typename) entity.__typename = target.__typename;
        if (entity) outputRewrites?.(entity);
        deepMerge(target, entity);
      }
    } catch (err) {
      state.errors.push(err as Error);
    }
  };

  async function send(state: RunState, variables: JsonObject, cursor: Cursor, entityOf: number[] | undefined): Promise<JsonObject | null | undefined> {
    const answer = await state.request.send({ fetch, variables, path: cursor.path });
    if (answer.errors && answer.errors.length > 0) {
      const pathOf = errorPaths(fetch, cursor, state.root, entityOf);
      for (const error of answer.errors) state.errors.push(subgraphError(error, fetch.serviceName, pathOf(error.path)));
    }
    return answer.data;
  }
}

/** Client paths of a fetch's errors: an `_entities` index becomes its entity's path, computed only when an error needs one. */
function errorPaths(fetch: FetchNode, cursor: Cursor, root: JsonObject, entityOf: number[] | undefined) {
  let entityPaths: ResponsePath[] | undefined;
  return (path: readonly (string | number)[] | undefined): ResponsePath | undefined => {
    if (fetch.requires && typeof path?.[1] === 'number') {
      if (!entityPaths) {
        entityPaths = [];
        hydratePaths([], cursor.path, 0, root, entityPaths);
      }
      const entityIndex = entityOf?.[path[1]];
      const prefix = entityIndex === undefined ? undefined : entityPaths[entityIndex];
      return [...(prefix ?? []), ...path.slice(2)];
    }
    return path ? [...cursor.path, ...path] : undefined;
  };
}

/** The concrete paths (list indices for `@`) of the non-null values at `path`, in the order the fetch saw them. */
function hydratePaths(prefix: ResponsePath, path: ResponsePath, from: number, data: unknown, out: ResponsePath[]): void {
  if (data === null || data === undefined) return;
  if (from === path.length) {
    out.push(prefix.slice());
    return;
  }
  const head = path[from];
  if (head === '@' || Array.isArray(data)) {
    if (!Array.isArray(data)) return;
    const next = head === '@' ? from + 1 : from;
    for (let i = 0; i < data.length; i++) {
      prefix.push(i);
      hydratePaths(prefix, path, next, data[i], out);
      prefix.pop();
    }
    return;
  }
  const key = head as string;
  if (!Object.hasOwn(data as JsonObject, key)) return;
  prefix.push(key);
  hydratePaths(prefix, path, from + 1, (data as JsonObject)[key], out);
  prefix.pop();
}

/** A subgraph's error as the client sees it: its path in the client's response, the subgraph named, a code always. */
function subgraphError(error: GraphQLFormattedError, serviceName: string, path: ResponsePath | undefined): GraphQLError {
  const extensions: Record<string, unknown> = { ...error.extensions, serviceName };
  if (extensions.code === undefined || extensions.code === null) extensions.code = 'DOWNSTREAM_SERVICE_ERROR';
  return new GraphQLError(error.message || `Error while fetching subquery from service "${serviceName}"`, {
    originalError: error as unknown as Error,
    ...(path ? { path } : {}),
    extensions,
  });
}

/** Merges `source` into `target` (a subgraph's answer into the tree), as Apollo Gateway does; never touches a prototype. */
export function deepMerge(target: JsonObject, source: unknown): void {
  if (source === undefined || source === null || typeof source !== 'object') return;
  for (const key of Object.keys(source)) {
    const value = (source as JsonObject)[key];
    if (value === undefined || key === '__proto__') continue;
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (existing && isPlainObject(value)) {
      deepMerge(existing as JsonObject, value);
    } else if (Array.isArray(value) && Array.isArray(existing) && value.length === existing.length) {
      for (let i = 0; i < value.length; i++) {
        if (isPlainObject(existing[i]) && isPlainObject(value[i])) deepMerge(existing[i] as JsonObject, value[i]);
        else existing[i] = value[i];
      }
    } else {
      target[key] = value;
    }
  }
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names of the types an object may have for `condition` to hold (Apollo's `isObjectOfType`). */
function typesWithin(schema: GraphQLSchema, conditionName: string): ReadonlySet<string> {
  const names = new Set([conditionName]);
  const condition = schema.getType(conditionName);
  if (condition && isAbstractType(condition)) {
    for (const type of Object.values(schema.getTypeMap())) {
      if ((isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type)) names.add(type.name);
    }
  }
  return names;
}

type Extractor = (source: JsonObject) => JsonObject | null;

/** The representation of an entity for a fetch's `requires` selection; null when an input is missing. */
function compileExtractor(selections: readonly QueryPlanSelectionNode[], schema: GraphQLSchema): Extractor {
  const parts = selections.map((selection) => {
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name;
      const sub = selection.selections ? compileExtractor(selection.selections, schema) : undefined;
      return { kind: 'field' as const, key, sub };
    }
    const within = selection.typeCondition ? typesWithin(schema, selection.typeCondition) : undefined;
    return { kind: 'fragment' as const, within, sub: compileExtractor(selection.selections, schema) };
  });
  const extract: Extractor = (source) => {
    const result: JsonObject = {};
    for (const part of parts) {
      if (part.kind === 'field') {
        const value = Object.hasOwn(source, part.key) ? source[part.key] : undefined;
        if (value === undefined) return null;
        if (Array.isArray(value)) result[part.key] = part.sub ? value.map((v) => extractValue(part.sub as Extractor, v)) : value;
        else result[part.key] = part.sub ? extractValue(part.sub, value) : value;
      } else {
        // A fragment without a type condition holds nothing a plan asks for.
        if (!part.within) continue;
        const typename = source.__typename;
        if (typeof typename === 'string' && part.within.has(typename)) deepMerge(result, part.sub(source));
      }
    }
    return result;
  };
  return extract;
}

function extractValue(extract: Extractor, value: unknown): unknown {
  return value === null ? null : extract(value as JsonObject);
}

/** Rewrites (a `__typename` set for `@interfaceObject`, a key renamed back from a planner alias) as one function. */
function compileRewrites(rewrites: readonly FetchDataRewrite[] | undefined, schema: GraphQLSchema): ((value: JsonObject) => void) | undefined {
  if (!rewrites || rewrites.length === 0) return undefined;
  const compiled = rewrites.filter((r) => r.path.length > 0).map((rewrite) => {
    const parent = rewrite.path.slice(0, -1).map((element) =>
      element.startsWith('... on ') ? { typeName: element.slice('... on '.length), within: typesWithin(schema, element.slice('... on '.length)) } : { field: element },
    );
    const last = rewrite.path[rewrite.path.length - 1] as string;
    const apply =
      rewrite.kind === 'ValueSetter'
        ? (obj: JsonObject) => {
            obj[last] = rewrite.setValueTo;
          }
        : (obj: JsonObject) => {
            const value = Object.hasOwn(obj, last) ? obj[last] : undefined;
            if (value) {
              obj[rewrite.renameKeyTo] = value;
              obj[last] = undefined;
            }
          };
    const walk = (value: unknown, at: number): void => {
      if (Array.isArray(value)) {
        for (const element of value) walk(element, at);
        return;
      }
      if (typeof value !== 'object' || value === null) return;
      const obj = value as JsonObject;
      if (at === parent.length) {
        apply(obj);
        return;
      }
      const element = parent[at] as { field?: string; typeName?: string; within?: ReadonlySet<string> };
      if (element.field !== undefined) {
        walk(Object.hasOwn(obj, element.field) ? obj[element.field] : undefined, at + 1);
      } else {
        // An object with no type name is taken to match (Apollo Gateway's rule for rewrites).
        const typename = obj.__typename;
        if (!typename || (typeof typename === 'string' && (element.within as ReadonlySet<string>).has(typename))) walk(obj, at + 1);
      }
    };
    return (value: JsonObject) => walk(value, 0);
  });
  return (value) => {
    for (const rewrite of compiled) rewrite(value);
  };
}
