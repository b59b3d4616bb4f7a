/**
 * The demo subgraphs' federation v2 schemas rewritten in federation v1's dialect, for the
 * Mercurius gateway contestant: Mercurius composes v1 service SDLs only (it refuses the
 * `_service { sdl }` the subgraphs serve, whose `@link` imports redefine `@requires` and
 * friends). Execution is the same in both versions (`_entities` with key
 * representations), so only the schema text is translated, never the subgraphs.
 *
 * The rewrite of each subgraph's SDL:
 * - `extend schema @link(...)` goes, and so do the directives v1 does not know
 *   (`@shareable`, `@tag`, `@authenticated`, `@requiresScopes`, `@policy`);
 * - `type Query` becomes `extend type Query` (every v1 service extends the root type);
 * - an entity (a type with `@key`) already defined by an earlier subgraph becomes
 *   `extend type`, its key fields marked `@external`: v1 has one owner per entity, and v2
 *   does not say which, so the first subgraph in the given order owns it;
 * - `@key(..., resolvable: false)` loses the argument (v1 has none).
 */
import { Kind, parse, print, type ConstDirectiveNode, type DefinitionNode, type FieldDefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';

/** Directives of federation v2 (or of Apollo's authorization features) that v1 does not define. */
const DROPPED_DIRECTIVES = new Set(['shareable', 'tag', 'authenticated', 'requiresScopes', 'policy', 'inaccessible', 'link']);

function keptDirectives(directives: readonly ConstDirectiveNode[] | undefined): ConstDirectiveNode[] {
  return (directives ?? [])
    .filter((d) => !DROPPED_DIRECTIVES.has(d.name.value))
    .map((d) => (d.name.value === 'key' ? { ...d, arguments: d.arguments?.filter((a) => a.name.value === 'fields') } : d));
}

/** Top-level field names of every `@key(fields:)` of a type (`"id"`, `"upc sku"`). */
function keyFieldNames(type: ObjectTypeDefinitionNode): Set<string> {
  const names = new Set<string>();
  for (const directive of type.directives ?? []) {
    if (directive.name.value !== 'key') continue;
    const fields = directive.arguments?.find((a) => a.name.value === 'fields');
    if (fields?.value.kind !== Kind.STRING) continue;
    // Nested selections (`owner { id }`) are not used by the demo's keys; only top-level names are marked.
    for (const name of fields.value.value.replace(/\{[^}]*\}/g, ' ').split(/\s+/)) if (name) names.add(name);
  }
  return names;
}

function asExternal(field: FieldDefinitionNode): FieldDefinitionNode {
  const directives = keptDirectives(field.directives);
  if (directives.some((d) => d.name.value === 'external')) return { ...field, directives };
  return { ...field, directives: [...directives, { kind: Kind.DIRECTIVE, name: { kind: Kind.NAME, value: 'external' }, arguments: [] }] };
}

function isEntity(type: ObjectTypeDefinitionNode): boolean {
  return (type.directives ?? []).some((d) => d.name.value === 'key');
}

/**
 * Every subgraph's SDL in federation v1's dialect, in the given order (which decides the
 * owner of an entity defined in several subgraphs: the first).
 */
export function federationV1Sdls(subgraphs: ReadonlyArray<{ name: string; sdl: string }>): Array<{ name: string; sdl: string }> {
  const owned = new Set<string>();
  return subgraphs.map(({ name, sdl }) => {
    const definitions: DefinitionNode[] = [];
    for (const definition of parse(sdl).definitions) {
      if (definition.kind === Kind.SCHEMA_EXTENSION || definition.kind === Kind.SCHEMA_DEFINITION) continue;
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) {
        definitions.push(definition);
        continue;
      }
      const directives = keptDirectives(definition.directives);
      const fields = definition.fields?.map((f) => ({ ...f, directives: keptDirectives(f.directives) }));
      if (definition.name.value === 'Query') {
        definitions.push({ kind: Kind.OBJECT_TYPE_EXTENSION, name: definition.name, directives, interfaces: definition.interfaces, fields });
      } else if (isEntity(definition) && owned.has(definition.name.value)) {
        const keys = keyFieldNames(definition);
        definitions.push({
          kind: Kind.OBJECT_TYPE_EXTENSION,
          name: definition.name,
          directives,
          interfaces: definition.interfaces,
          fields: definition.fields?.map((f) => (keys.has(f.name.value) ? asExternal(f) : { ...f, directives: keptDirectives(f.directives) })),
        });
      } else {
        if (isEntity(definition)) owned.add(definition.name.value);
        definitions.push({ ...definition, directives, fields });
      }
    }
    return { name, sdl: print({ kind: Kind.DOCUMENT, definitions }) };
  });
}
