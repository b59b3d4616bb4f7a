/**
 * Completes a response to a reduced operation: every removed field is answered with null
 * and one error at its path, and a null in a non-null position makes the nearest nullable
 * parent null, as GraphQL execution does. The runtime-type fields Portico added are
 * removed. Linear in the response: each object is visited once per selection set that
 * applies to it.
 */
import {
  Kind,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLCompositeType,
  type GraphQLFormattedError,
  type GraphQLOutputType,
  type SelectionSetNode,
} from 'graphql';
import { RUNTIME_TYPE_ALIAS, type AuthorizationOutcome } from './authorize-operation';

/** `extensions.code` of every authorization error. */
export const UNAUTHORIZED_FIELD_OR_TYPE = 'UNAUTHORIZED_FIELD_OR_TYPE';

type Path = ReadonlyArray<string | number>;
type ResponseObject = Record<string, unknown>;

/** The error of one removed field at one response path. */
export function unauthorizedFieldError(path: Path): GraphQLFormattedError {
  return { message: 'Unauthorized field or type', path: [...path], extensions: { code: UNAUTHORIZED_FIELD_OR_TYPE } };
}

/** The errors of an operation refused as a whole: one per removed coordinate. */
export function unauthorizedOperationErrors(outcome: AuthorizationOutcome): GraphQLFormattedError[] {
  return outcome.denied.map((coordinate) => ({ message: `Unauthorized field or type: ${coordinate}`, extensions: { code: UNAUTHORIZED_FIELD_OR_TYPE, coordinate } }));
}

/**
 * Fills the nulls of removed fields into `data` (in place) and returns the data to send
 * (null when a null reached the root) and one error per null placed.
 */
export function completeUnauthorizedFields(outcome: AuthorizationOutcome, data: ResponseObject | null | undefined): { data: ResponseObject | null | undefined; errors: GraphQLFormattedError[] } {
  const errors: GraphQLFormattedError[] = [];
  const { operation, fragments, holes } = outcome;
  const schema = outcome.supergraph.apiSchema;
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  if (!data || !operation || !rootType) return { data, errors };

  const applies = (condition: GraphQLCompositeType, runtime: string | undefined): boolean => {
    if (runtime === undefined) return false;
    if (condition.name === runtime) return true;
    if (!isAbstractType(condition)) return false;
    const type = schema.getType(runtime);
    return isObjectType(type) && schema.isSubType(condition, type);
  };

  /** Returns true when `object` must become null (a non-null field in it is null). */
  const completeObject = (object: ResponseObject, parent: GraphQLCompositeType, set: SelectionSetNode, path: Path, runtime: string | undefined): boolean => {
    let nullsObject = false;
    for (const hole of holes.get(set) ?? []) {
      object[hole.key] = null;
      errors.push(unauthorizedFieldError([...path, hole.key]));
      if (hole.nonNull) nullsObject = true;
    }
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (!s.selectionSet) continue;
        const key = s.alias?.value ?? s.name.value;
        const value = object[key];
        const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[s.name.value] : undefined;
        if (value === null || value === undefined || !def) continue;
        if (completeValue(value, getNullableType(def.type), s.selectionSet, [...path, key])) {
          if (isNonNullType(def.type)) nullsObject = true;
          else object[key] = null;
        }
        continue;
      }
      const named = s.kind === Kind.INLINE_FRAGMENT ? s.typeCondition?.name.value : fragments.get(s.name.value)?.typeCondition.name.value;
      const fragmentSet = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : fragments.get(s.name.value)?.selectionSet;
      const conditionType = named ? schema.getType(named) : parent;
      if (!fragmentSet || !conditionType || !isCompositeType(conditionType) || !applies(conditionType, runtime)) continue;
      if (completeObject(object, conditionType, fragmentSet, path, runtime)) nullsObject = true;
    }
    return nullsObject;
  };

  /** Returns true when `value` must become null. */
  const completeValue = (value: unknown, type: GraphQLOutputType, set: SelectionSetNode, path: Path): boolean => {
    if (isListType(type)) {
      if (!Array.isArray(value)) return false;
      const itemType = type.ofType as GraphQLOutputType;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === null || item === undefined) continue;
        if (completeValue(item, getNullableType(itemType), set, [...path, i])) {
          if (isNonNullType(itemType)) return true;
          value[i] = null;
        }
      }
      return false;
    }
    const named = getNamedType(type);
    if (!isCompositeType(named) || typeof value !== 'object' || value === null) return false;
    const object = value as ResponseObject;
    const runtime = isAbstractType(named) ? (object[RUNTIME_TYPE_ALIAS] as string | undefined) : named.name;
    const nulls = completeObject(object, named, set, path, runtime);
    delete object[RUNTIME_TYPE_ALIAS];
    return nulls;
  };

  const nullsRoot = completeObject(data, rootType, operation.selectionSet, [], rootType.name);
  delete data[RUNTIME_TYPE_ALIAS];
  return { data: nullsRoot ? null : data, errors };
}
