/**
 * The manifest settings reference in docs/configuration.md (the keys a `PORTICO_CONFIG`
 * file or a manifest may set), generated from the same schemas that check them: key path,
 * type and bounds, default, meaning. Pure: `npm run docs:config` writes it, a test checks
 * the committed copy.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { GraphqlRoutesSchema } from '../../shared/graphql/federated-graphql-settings';
import { PolicySettingsSchema } from '../../shared/manifest';
import { RestRoutesSchema } from '../../shared/rest/rest-settings';
import { ServerSettingsSchema } from '../../shared/server-settings';

export const SETTINGS_BEGIN_MARKER = '<!-- BEGIN GENERATED: manifest settings (npm run docs:config; do not edit by hand) -->';
export const SETTINGS_END_MARKER = '<!-- END GENERATED: manifest settings -->';

interface Row {
  path: string;
  type: string;
  defaultText: string;
  description: string;
}

type Schema = TSchema & Record<string, unknown>;

/** Pure: a leaf's type with its bounds (`integer 1..65535`, `string /^\//`). */
function typeText(schema: Schema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  const kind = schema[Kind] as string;
  if (kind === 'Union') {
    const members = (schema.anyOf as Schema[]).map(typeText);
    return [...new Set(members)].join(' or ');
  }
  if (kind === 'Array') return `list of ${typeText(schema.items as Schema)}`;
  if (kind === 'Record') return 'map';
  if (kind === 'Object') return 'object';
  const bounds: string[] = [];
  const min = schema.minimum ?? schema.exclusiveMinimum;
  if (min !== undefined || schema.maximum !== undefined) bounds.push(`${min ?? ''}..${schema.maximum ?? ''}`);
  if (typeof schema.pattern === 'string') bounds.push(`\`/${schema.pattern}/\``);
  return [String(schema.type ?? kind.toLowerCase()), ...bounds].join(' ');
}

function shownDefault(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 60 ? `\`${text.slice(0, 57)}...\`` : `\`${text}\``;
}

/** Pure: every settable key under `path`, depth first. Objects and maps are walked; alternatives of objects are listed per `kind`. */
function rows(schema: Schema, path: string): Row[] {
  const kind = schema[Kind] as string;
  const self: Row = { path, type: typeText(schema), defaultText: shownDefault(schema.default), description: String(schema.description ?? '') };
  if (kind === 'Object') {
    const properties = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
    const children = properties.flatMap(([key, child]) => rows(child, path ? `${path}.${key}` : key));
    return self.description ? [self, ...children] : children;
  }
  if (kind === 'Record') {
    const value = Object.values((schema.patternProperties ?? {}) as Record<string, Schema>)[0];
    return [self, ...(value && (value[Kind] === 'Object' || value[Kind] === 'Union') ? rows(value, `${path}.<name>`) : [])];
  }
  if (kind === 'Array' && (schema.items as Schema)[Kind] === 'Object') return [self, ...rows(schema.items as Schema, `${path}[]`)];
  if (kind === 'Union') {
    const objects = (schema.anyOf as Schema[]).filter((member) => member[Kind] === 'Object');
    if (objects.length > 0) {
      // Alternatives told apart by `kind` (stores) are listed one after the other; other object alternatives by their keys.
      return [self, ...objects.flatMap((member) => rows(member, path))].filter((row, i, all) => all.findIndex((r) => r.path === row.path && r.type === row.type) === i);
    }
  }
  return [self];
}

function table(heading: string, list: readonly Row[]): string[] {
  return [
    heading,
    '',
    '| Key | Type | Default | Meaning |',
    '| --- | --- | --- | --- |',
    ...list.map((row) => `| \`${row.path}\` | ${row.type.replace(/\|/g, '\\|')} | ${row.defaultText || ''} | ${row.description.replace(/\|/g, '\\|')} |`),
  ];
}

/** Pure: the generated markdown between the settings markers. */
export function settingsReference(): string {
  const withoutKind = (schema: Schema, prefix: string) => rows(schema, prefix).filter((row) => row.path !== `${prefix}.kind`);
  return [
    ...table('`server` (every BFF):', rows(ServerSettingsSchema as Schema, 'server')),
    '',
    ...table('`routes` of web and mobile (GraphQL):', withoutKind(GraphqlRoutesSchema as Schema, 'routes')),
    '',
    ...table('`routes` of partner (REST; the route tables stay in code):', withoutKind(RestRoutesSchema as Schema, 'routes').filter((row) => !row.path.startsWith('routes.versions'))),
    '',
    ...table('`policies` (every BFF; a missing slice leaves its stages idle):', rows(PolicySettingsSchema as Schema, 'policies')),
  ].join('\n');
}
