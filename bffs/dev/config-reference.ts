/**
 * The configuration reference in docs/configuration.md, generated from the environment
 * variables each part declares (server, policies, GraphQL and REST routes, targets) with
 * the defaults of each BFF's manifest. Pure: `npm run docs:config` writes it, a test
 * checks the committed copy.
 */
import path from 'node:path';
import { POLICY_ENV_MAPPINGS } from '../../shared/config/policies-env';
import { configFileEnvSpec } from '../../shared/config/config-file';
import type { EnvFamily, EnvVar } from '../../shared/config/env';
import { productionEnvSpec } from '../../shared/config/production-checks';
import { workersEnvSpec } from '../../shared/config/server-env';
import { GRAPHQL_ENV_FAMILIES, SUBGRAPH_URL_PREFIX } from '../../shared/graphql/federated-graphql-env';
import { graphqlRoutesEnvSpec } from '../../shared/graphql/federated-graphql-env';
import { REST_ENV_FAMILIES } from '../../shared/rest/rest-routes-env';
import { serverEnvSpec } from '../../shared/server-env';
import { SUBGRAPH_TARGETS_PREFIX, TARGET_ENV_FAMILIES, UPSTREAM_TARGETS_PREFIX } from '../../shared/upstream/target-settings-env';
import { mobileManifest } from '../mobile/manifest';
import { partnerManifest } from '../partner/manifest';
import { webManifest } from '../web/manifest';
import { SETTINGS_BEGIN_MARKER, SETTINGS_END_MARKER, settingsReference } from './settings-reference';

export const BEGIN_MARKER = '<!-- BEGIN GENERATED: environment variables (npm run docs:config; do not edit by hand) -->';
export const END_MARKER = '<!-- END GENERATED: environment variables -->';

const REPO_ROOT = path.resolve(__dirname, '../..');

type Spec = Record<string, EnvVar<unknown>>;

/** Pure: how a default reads in the table (numbers plain, words in code, explanations as written). */
function shown(text: string | undefined): string {
  if (text === undefined) return '(none)';
  const relative = path.isAbsolute(text) && text.startsWith(REPO_ROOT) ? path.relative(REPO_ROOT, text) : text;
  if (/^\d+$/.test(relative)) return relative;
  return /[`( ]/.test(relative) ? relative : `\`${relative}\``;
}

/** Pure: one default, or each BFF's where they differ (`web 4000, mobile 4001, partner 4002`). */
function perBff(defaults: ReadonlyArray<[bff: string, text: string | undefined]>): string {
  const byValue = new Map<string, string[]>();
  for (const [bff, text] of defaults) byValue.set(shown(text), [...(byValue.get(shown(text)) ?? []), bff]);
  if (byValue.size === 1) return [...byValue.keys()][0]!;
  return [...byValue].map(([value, bffs]) => `${bffs.join(' and ')} ${value}`).join(', ');
}

function row(name: string, defaultText: string, description: string): string {
  return `| \`${name}\` | ${defaultText} | ${description.replace(/\|/g, '\\|')} |`;
}

/** Pure: a table of the variables of one spec per BFF (the same names, defaults from each BFF's manifest). */
function table(specs: ReadonlyArray<[bff: string, spec: Spec]>, families: readonly EnvFamily[] = []): string[] {
  const [, first] = specs[0]!;
  return [
    '| Variable | Default | Meaning |',
    '| --- | --- | --- |',
    ...Object.entries(first).map(([name, variable]) => row(name, perBff(specs.map(([bff, spec]) => [bff, spec[name]!.defaultText])), variable.description)),
    ...families.map((family) => row(family.pattern, family.defaultText, family.description)),
  ];
}

const family = (families: readonly EnvFamily[], prefix: string): EnvFamily => families.find((f) => f.pattern.startsWith(prefix))!;

/** Pure: the generated markdown between the markers. */
export function configurationReference(): string {
  const bffs = [webManifest, mobileManifest, partnerManifest] as const;
  const graphqlBffs = [webManifest, mobileManifest] as const;
  return [
    'All BFFs:',
    '',
    ...table(bffs.map((m) => [m.name, { ...serverEnvSpec(m.server), ...productionEnvSpec, ...workersEnvSpec, ...configFileEnvSpec }])),
    '',
    'Policies (all BFFs):',
    '',
    ...table([['all', Object.assign({}, ...POLICY_ENV_MAPPINGS.map((m) => m.spec)) as Spec]]),
    '',
    'Web and mobile:',
    '',
    ...table(
      graphqlBffs.map((m) => [m.name, graphqlRoutesEnvSpec(m.routes)]),
      [family(GRAPHQL_ENV_FAMILIES, SUBGRAPH_URL_PREFIX), family(TARGET_ENV_FAMILIES, SUBGRAPH_TARGETS_PREFIX)],
    ),
    '',
    'Partner:',
    '',
    ...table([['partner', {}]], [...REST_ENV_FAMILIES, family(GRAPHQL_ENV_FAMILIES, SUBGRAPH_URL_PREFIX), family(TARGET_ENV_FAMILIES, UPSTREAM_TARGETS_PREFIX)]),
  ].join('\n');
}

/** Pure: `doc` with the text between the markers replaced by `generated`; throws when the markers are missing. */
export function withReference(doc: string, generated: string, beginMarker = BEGIN_MARKER, endMarker = END_MARKER): string {
  const begin = doc.indexOf(beginMarker);
  const end = doc.indexOf(endMarker);
  if (begin < 0 || end < begin) throw new Error(`docs/configuration.md needs the markers ${beginMarker} and ${endMarker}`);
  return `${doc.slice(0, begin + beginMarker.length)}\n\n${generated}\n\n${doc.slice(end)}`;
}

/** Pure: `doc` with both generated references (environment variables, manifest settings) brought up to date. */
export function withReferences(doc: string): string {
  return withReference(withReference(doc, configurationReference()), settingsReference(), SETTINGS_BEGIN_MARKER, SETTINGS_END_MARKER);
}
