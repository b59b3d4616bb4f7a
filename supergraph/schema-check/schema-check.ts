/**
 * The schema check every subgraph change goes through, offline: composition, drift of the
 * committed supergraph and contracts, a breaking-change diff against a base supergraph
 * (classified and attributed to the owning subgraphs), and every registered client
 * operation validated against the schema it will run on. A breaking change fails only when
 * a registered operation uses it; unused ones are reported as warnings.
 */
import { prepareSupergraph } from '../../shared/graphql/authorization/supergraph-authorization';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import {
  Kind,
  TypeInfo,
  getNamedType,
  parse,
  specifiedRules,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { CONTRACTS, buildContractSchema, printContract } from '../contracts';
import { composeSupergraph, type CompositionProblem, type SubgraphDefinition } from '../composition';
import { crossSubgraphNonNullFields, describeCrossSubgraphNonNull, type CrossSubgraphNonNull } from './nullability-lint';

export interface RegisteredOperation {
  client: 'web' | 'mobile' | 'partner';
  name: string;
  file: string;
  document: string;
  /** Which schema the operation runs on: the full supergraph or a contract. */
  schema: 'supergraph' | `contract:${string}`;
  /** Partner: the REST routes this operation backs. */
  routes?: string[];
}

export interface SchemaCheckInput {
  definitions: readonly SubgraphDefinition[];
  /** Committed files as they are in the change under review. */
  committed: { supergraph: string; contracts: Readonly<Record<string, string>> };
  /** The supergraph to diff against; absent skips the diff (reported). */
  base?: { sdl: string; label: string };
  operations: readonly RegisteredOperation[];
  /** Accept breaking changes used by operations, for this recorded reason. */
  allowBreaking?: string;
  /** Fail (instead of warn) on non-null fields another subgraph resolves. Default false. */
  strictNullability?: boolean;
}

export type ChangeLevel = 'breaking' | 'dangerous' | 'safe';

export interface OperationUse {
  client: string;
  operation: string;
  file: string;
  routes?: string[];
}

export interface ReportedChange {
  level: ChangeLevel;
  message: string;
  path?: string;
  subgraphs: string[];
  /** Operations selecting what changed (breaking changes and loosened nullability). */
  usedBy: OperationUse[];
  /** Why the level differs from graphql-inspector's. */
  note?: string;
}

export interface NullabilityFinding extends CrossSubgraphNonNull {
  /** Registered operations that select the field and one of its parent fields. */
  usedBy: OperationUse[];
}

export interface OperationProblem extends OperationUse {
  schema: string;
  errors: string[];
}

export interface SchemaCheckReport {
  ok: boolean;
  composition: { ok: boolean; errors: CompositionProblem[] };
  drift: Array<{ file: string; fix: string }>;
  diff: { base?: string; skipped?: string; changes: ReportedChange[] };
  operations: { checked: number; problems: OperationProblem[] };
  /** Non-null fields resolved by another subgraph than their parent field's. */
  nullability: NullabilityFinding[];
  allowedBreaking?: string;
  /** Why the check failed, one line each. */
  failures: string[];
  warnings: string[];
}

const LEVELS: Record<string, ChangeLevel> = {
  [CriticalityLevel.Breaking]: 'breaking',
  [CriticalityLevel.Dangerous]: 'dangerous',
  [CriticalityLevel.NonBreaking]: 'safe',
};

function apiSchema(supergraphSdl: string): GraphQLSchema {
  return prepareSupergraph(supergraphSdl).apiSchema;
}

/** Pure: `after` is `before` with some non-null wrappers removed (`Int!` -> `Int`, `[A!]!` -> `[A!]`). */
export function onlyLoosensNullability(before: string, after: string): boolean {
  if (before === after) return false;
  let i = 0;
  for (const ch of before) {
    if (after[i] === ch) i += 1;
    else if (ch !== '!') return false;
  }
  return i === after.length;
}

const LOOSENED_NULLABILITY_NOTE =
  'an output field lost its `!`: unchanged while its subgraph answers; when it fails, clients get null in this field (with an error) where the error used to null its parent';

/** Pure: which subgraphs define each type and field of a supergraph (from its join directives). */
export function ownersOf(supergraphSdl: string): Map<string, string[]> {
  const document = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  const owners = new Map<string, string[]>();
  const argOf = (d: { arguments?: readonly { name: { value: string }; value: { kind: string } }[] }, name: string) => {
    const value = d.arguments?.find((a) => a.name.value === name)?.value as { kind: string; value?: string } | undefined;
    return value?.value;
  };
  for (const def of document.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === 'join__Graph') {
      for (const v of def.values ?? []) {
        const name = v.directives?.find((d) => d.name.value === 'join__graph');
        if (name) graphNames.set(v.name.value, argOf(name, 'name') ?? v.name.value.toLowerCase());
      }
    }
  }
  for (const def of document.definitions) {
    if (!('name' in def) || !def.name || !('directives' in def)) continue;
    const typeName = def.name.value;
    const typeGraphs = (def.directives ?? []).filter((d) => d.name.value === 'join__type').map((d) => graphNames.get(argOf(d, 'graph') ?? '') ?? '');
    if (typeGraphs.length) owners.set(typeName, typeGraphs);
    if ('fields' in def && def.fields) {
      for (const field of def.fields) {
        const fieldGraphs = (field.directives ?? []).filter((d) => d.name.value === 'join__field' && argOf(d, 'graph')).map((d) => graphNames.get(argOf(d, 'graph') ?? '') ?? '');
        owners.set(`${typeName}.${field.name.value}`, fieldGraphs.length ? fieldGraphs : typeGraphs);
      }
    }
  }
  return owners;
}

/** Pure: the schema coordinates (`Type`, `Type.field`, `Type.field.arg`) an operation uses. */
export function coordinatesUsed(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const used = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        used.add(parent.name);
        used.add(`${parent.name}.${node.name.value}`);
        for (const arg of node.arguments ?? []) used.add(`${parent.name}.${node.name.value}.${arg.name.value}`);
        const type = typeInfo.getType();
        if (type) used.add(getNamedType(type).name);
      },
    }),
  );
  return used;
}

/**
 * Pure: which field each field of an operation is selected directly under, as
 * `Parent.field>Type.field` (`*>Type.field` inside a named fragment, whose parent varies).
 */
export function fieldSelectionsUsed(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const used = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const enclosing: string[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      FragmentDefinition: {
        enter: () => void enclosing.push('*'),
        leave: () => void enclosing.pop(),
      },
      Field: {
        enter(node) {
          const parent = typeInfo.getParentType();
          const coordinate = parent ? `${parent.name}.${node.name.value}` : '?';
          const above = enclosing[enclosing.length - 1];
          if (above !== undefined) used.add(`${above}>${coordinate}`);
          enclosing.push(coordinate);
        },
        leave: () => void enclosing.pop(),
      },
    }),
  );
  return used;
}

function operationUse(op: RegisteredOperation): OperationUse {
  return { client: op.client, operation: op.name, file: op.file, ...(op.routes ? { routes: op.routes } : {}) };
}

function operationLabel(op: OperationUse): string {
  return `${op.client} operation '${op.operation}' (${op.file}${op.routes?.length ? `, route ${op.routes.join(', ')}` : ''})`;
}

/** Pure: why a registered operation does not run on `schema` (graphql-js validation), empty when it does. */
export function operationErrors(schema: GraphQLSchema, document: string): string[] {
  try {
    return validate(schema, parse(document), specifiedRules).map((e) => e.message);
  } catch (err) {
    return [(err as Error).message];
  }
}

export async function runSchemaCheck(input: SchemaCheckInput): Promise<SchemaCheckReport> {
  const report: SchemaCheckReport = {
    ok: false,
    composition: { ok: false, errors: [] },
    drift: [],
    diff: { changes: [] },
    operations: { checked: 0, problems: [] },
    nullability: [],
    failures: [],
    warnings: [],
    ...(input.allowBreaking ? { allowedBreaking: input.allowBreaking } : {}),
  };

  // 1. Composition.
  const composed = composeSupergraph(input.definitions);
  if (!composed.ok) {
    report.composition.errors = composed.errors;
    report.failures.push(...composed.errors.map((e) => `composition: ${e.code}: ${e.message}`));
    return report;
  }
  report.composition.ok = true;
  const supergraph = composed.supergraphSdl;

  // 2. Drift of what is committed.
  if (input.committed.supergraph !== supergraph) report.drift.push({ file: 'supergraph/supergraph.graphql', fix: 'npm run supergraph:compose' });
  for (const name of Object.keys(CONTRACTS)) {
    if (input.committed.contracts[name] !== printContract(name, supergraph)) report.drift.push({ file: `supergraph/contracts/${name}.graphql`, fix: 'npm run supergraph:compose' });
  }
  for (const d of report.drift) report.failures.push(`drift: ${d.file} differs from a fresh composition; run \`${d.fix}\` and commit the result`);

  // 3. Breaking-change diff against the base, each change attributed to its subgraphs.
  const newApi = apiSchema(supergraph);
  const schemas: Record<string, GraphQLSchema> = { supergraph: newApi };
  for (const [name, contract] of Object.entries(CONTRACTS)) schemas[`contract:${name}`] = buildContractSchema(supergraph, contract.excludeTags);
  let baseApi: GraphQLSchema | undefined;
  let changes: Change[] = [];
  if (input.base) {
    baseApi = apiSchema(input.base.sdl);
    changes = await diff(baseApi, newApi);
    report.diff.base = input.base.label;
  } else {
    report.diff.skipped = 'no base supergraph (not a git checkout, and no --base given)';
    report.warnings.push(`diff skipped: ${report.diff.skipped}`);
  }
  const owners = new Map([...(input.base ? ownersOf(input.base.sdl) : []), ...ownersOf(supergraph)]);

  // Which registered operations use what, on the schema they ran on before the change.
  const usage = input.operations.map((op) => {
    let used = new Set<string>();
    try {
      used = coordinatesUsed(baseApi ?? newApi, parse(op.document));
    } catch {
      // An unparsable document is reported by the operation checks below.
    }
    return { op, used };
  });

  for (const change of changes) {
    const loosened = change.type === 'FIELD_TYPE_CHANGED' && onlyLoosensNullability(String(change.meta.oldFieldType), String(change.meta.newFieldType));
    const level = loosened ? 'dangerous' : (LEVELS[change.criticality.level] ?? 'dangerous');
    const path = change.path;
    const owner = path ? (owners.get(path) ?? owners.get(path.split('.').slice(0, 2).join('.')) ?? owners.get(path.split('.')[0] ?? '') ?? []) : [];
    const usedBy =
      (level === 'breaking' || loosened) && path
        ? usage.filter((u) => u.used.has(path) || u.used.has(path.split('.').slice(0, 2).join('.'))).map(({ op }) => operationUse(op))
        : [];
    report.diff.changes.push({ level, message: change.message, ...(path ? { path } : {}), subgraphs: [...new Set(owner)], usedBy, ...(loosened ? { note: LOOSENED_NULLABILITY_NOTE } : {}) });
    if (loosened && usedBy.length > 0) {
      report.warnings.push(`dangerous change (nullability loosened): ${change.message}; selected by ${usedBy.map(operationLabel).join('; ')}`);
    }
    if (level === 'breaking') {
      const where = `${change.message} [${path ?? '?'}, subgraph ${[...new Set(owner)].join(', ') || 'unknown'}]`;
      if (usedBy.length === 0) report.warnings.push(`breaking change used by no registered operation: ${where}`);
      else {
        const line = `breaking change ${where} is used by ${usedBy.map(operationLabel).join('; ')}`;
        if (input.allowBreaking) report.warnings.push(`allowed (${input.allowBreaking}): ${line}`);
        else report.failures.push(line);
      }
    }
  }

  // 4. Non-null fields another subgraph resolves, with the operations that select them.
  const selections = input.operations.map((op) => {
    try {
      return { op, used: fieldSelectionsUsed(newApi, parse(op.document)) };
    } catch {
      return { op, used: new Set<string>() };
    }
  });
  for (const finding of crossSubgraphNonNullFields(prepareSupergraph(supergraph).gatewaySdl, newApi)) {
    const coordinate = `${finding.type}.${finding.field}`;
    const usedBy = selections.filter((u) => ['*', ...finding.parentFields].some((p) => u.used.has(`${p}>${coordinate}`))).map(({ op }) => operationUse(op));
    report.nullability.push({ ...finding, usedBy });
    const line = `nullability: ${describeCrossSubgraphNonNull(finding)}; ${usedBy.length ? `selected by ${usedBy.map(operationLabel).join('; ')}` : 'selected by no registered operation'}`;
    if (input.strictNullability) report.failures.push(line);
    else report.warnings.push(line);
  }

  // 5. Every registered operation against the schema it runs on.
  for (const op of input.operations) {
    const schema = schemas[op.schema] ?? newApi;
    const errors = operationErrors(schema, op.document);
    report.operations.checked += 1;
    if (errors.length === 0) continue;
    const problem: OperationProblem = { client: op.client, operation: op.name, file: op.file, ...(op.routes ? { routes: op.routes } : {}), schema: op.schema, errors };
    report.operations.problems.push(problem);
    const line = `${operationLabel(problem)} is invalid against the ${op.schema === 'supergraph' ? 'supergraph' : op.schema.replace('contract:', '') + ' contract'}: ${errors.join('; ')}`;
    if (input.allowBreaking) report.warnings.push(`allowed (${input.allowBreaking}): ${line}`);
    else report.failures.push(line);
  }

  report.ok = report.failures.length === 0;
  return report;
}

/** Human-readable report, as CI prints it. */
export function formatReport(report: SchemaCheckReport): string {
  const lines: string[] = [];
  lines.push(`Composition: ${report.composition.ok ? 'ok' : `FAILED (${report.composition.errors.length} error(s))`}`);
  for (const e of report.composition.errors) lines.push(`  ✖ ${e.code}: ${e.message}`, ...e.locations.map((l) => `      at ${l}`));
  if (report.composition.ok) {
    lines.push(`Drift: ${report.drift.length === 0 ? 'committed supergraph and contracts are current' : ''}`);
    for (const d of report.drift) lines.push(`  ✖ ${d.file} is stale: run \`${d.fix}\``);
    lines.push(report.diff.skipped ? `Changes: skipped (${report.diff.skipped})` : `Changes against ${report.diff.base}: ${report.diff.changes.length}`);
    for (const c of report.diff.changes) {
      const mark = c.level === 'breaking' ? (c.usedBy.length ? '✖' : '⚠') : c.level === 'dangerous' ? '⚠' : '✔';
      lines.push(`  ${mark} ${c.level.padEnd(9)} ${c.message}${c.subgraphs.length ? `  (subgraph ${c.subgraphs.join(', ')})` : ''}`);
      if (c.note) lines.push(`      ${c.note}`);
      for (const u of c.usedBy) lines.push(`      used by ${operationLabel(u)}`);
    }
    lines.push(`Nullability: ${report.nullability.length === 0 ? 'no non-null field is resolved by another subgraph than its parent' : `${report.nullability.length} non-null field(s) resolved by another subgraph than their parent`}`);
    for (const n of report.nullability) {
      lines.push(`  ⚠ ${n.type}.${n.field}: ${n.fieldType} (subgraph ${n.resolvedBy.join(', ')}) under ${n.parentFields.join(', ')} (subgraph ${n.parentSubgraph})`);
      for (const u of n.usedBy) lines.push(`      selected by ${operationLabel(u)}`);
    }
    lines.push(`Operations: ${report.operations.checked} checked, ${report.operations.problems.length} invalid`);
    for (const p of report.operations.problems) lines.push(`  ✖ ${operationLabel(p)}`, ...p.errors.map((e) => `      ${e}`));
  }
  if (report.allowedBreaking) lines.push(`Breaking changes allowed: ${report.allowedBreaking}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  lines.push(report.ok ? 'Schema check passed.' : `Schema check FAILED:\n${report.failures.map((f) => `  - ${f}`).join('\n')}`);
  return lines.join('\n');
}
