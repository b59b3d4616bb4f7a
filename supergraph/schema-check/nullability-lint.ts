/**
 * Lint: non-null fields that another subgraph resolves. When a parent field from subgraph A
 * returns an entity and the client selects a field of it that only subgraph B resolves, the
 * gateway fetches that field from B. If B fails, the field is null; declared non-null, the
 * null goes up to the nearest nullable ancestor and takes A's data with it (one failed
 * inventory call nulling a whole product list). Such fields should be nullable.
 */
import { Supergraph, baseType, isObjectType, type FieldDefinition, type ObjectType, type Subgraph } from '@apollo/federation-internals';
import { Kind, isNonNullType, isObjectType as isGraphqlObjectType, parse, type GraphQLSchema } from 'graphql';

export interface CrossSubgraphNonNull {
  /** The entity type, e.g. `Product`. */
  type: string;
  /** The non-null field, e.g. `inStock`. */
  field: string;
  /** Its declared type, e.g. `Boolean!`. */
  fieldType: string;
  /** Subgraphs that resolve the field. */
  resolvedBy: string[];
  /** The subgraph the parent fields come from, which does not resolve the field. */
  parentSubgraph: string;
  /** Parent fields in that subgraph returning the type, e.g. `Query.topProducts`. */
  parentFields: string[];
}

/** Top-level field names of a `@provides(fields:)` selection. */
function providedFields(field: FieldDefinition<ObjectType>, providesName: string): Set<string> {
  const names = new Set<string>();
  for (const directive of field.appliedDirectives) {
    if (directive.name !== providesName) continue;
    const selection = (directive.arguments() as { fields?: string }).fields;
    if (!selection) continue;
    const doc = parse(`{ ${selection} }`);
    const op = doc.definitions[0];
    if (op?.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const s of op.selectionSet.selections) if (s.kind === Kind.FIELD) names.add(s.name.value);
  }
  return names;
}

/**
 * Pure: every non-null field of `apiSchema` that some parent field reaches from a subgraph
 * that cannot resolve it. `gatewaySdl` is the supergraph without features the federation
 * library does not know (as Apollo Gateway loads it). Object types only (the demo has no
 * entity interfaces).
 */
export function crossSubgraphNonNullFields(gatewaySdl: string, apiSchema: GraphQLSchema): CrossSubgraphNonNull[] {
  const supergraph = Supergraph.build(gatewaySdl, { supportedFeatures: null });
  const subgraphs = [...supergraph.subgraphs()];
  const found = new Map<string, CrossSubgraphNonNull>();
  for (const parent of subgraphs) {
    const metadata = parent.metadata();
    const providesName = metadata.providesDirective().name;
    for (const parentType of parent.schema.objectTypes()) {
      for (const parentField of parentType.fields()) {
        if (metadata.isFieldExternal(parentField) || !parentField.type) continue;
        const target = baseType(parentField.type);
        const apiTarget = apiSchema.getType(target.name);
        if (!isObjectType(target) || !isGraphqlObjectType(apiTarget)) continue;
        const provided = providedFields(parentField, providesName);
        for (const apiField of Object.values(apiTarget.getFields())) {
          if (!isNonNullType(apiField.type)) continue;
          const local = target.field(apiField.name);
          if (local && (!metadata.isFieldExternal(local) || provided.has(apiField.name))) continue;
          const key = `${target.name}.${apiField.name}@${parent.name}`;
          const entry = found.get(key) ?? {
            type: target.name,
            field: apiField.name,
            fieldType: String(apiField.type),
            resolvedBy: subgraphs.filter((s) => resolves(s, target.name, apiField.name)).map((s) => s.name),
            parentSubgraph: parent.name,
            parentFields: [],
          };
          entry.parentFields.push(parentField.coordinate);
          found.set(key, entry);
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => `${a.type}.${a.field}.${a.parentSubgraph}`.localeCompare(`${b.type}.${b.field}.${b.parentSubgraph}`));
}

function resolves(subgraph: Subgraph, typeName: string, fieldName: string): boolean {
  const type = subgraph.schema.type(typeName);
  if (!type || !isObjectType(type)) return false;
  const field = type.field(fieldName);
  return field !== undefined && !subgraph.metadata().isFieldExternal(field);
}

/** One line for the report. */
export function describeCrossSubgraphNonNull(w: CrossSubgraphNonNull): string {
  return (
    `${w.type}.${w.field}: ${w.fieldType} is resolved by ${w.resolvedBy.join(', ')}, but ${w.type} is reached from subgraph ${w.parentSubgraph} ` +
    `(${w.parentFields.join(', ')}): when ${w.resolvedBy.join('/')} fails, its null goes up past ${w.type} and drops the data from ${w.parentSubgraph} with it; ` +
    `declare it nullable (${w.fieldType.replace(/!$/, '')})`
  );
}
