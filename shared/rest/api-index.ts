/**
 * `GET /` and `GET /<version>` on a REST facade: a small public index, so a partner
 * exploring the API finds the docs, each version's OpenAPI document and which version is
 * deprecated (and until when), instead of an authentication error.
 */
import { migrationNotesPath, type RouteTable, type VersionDeprecation } from './route-table';

export interface VersionIndexEntry {
  version: string;
  status: 'current' | 'deprecated';
  /** Base path of the version's routes. */
  href: string;
  openapi: string;
  deprecation?: Omit<VersionDeprecation, 'migrationNotes'>;
  /** Where the migration notes to the successor are served, when the version has them. */
  migrationNotes?: string;
}

export interface ApiIndex {
  name: string;
  docs: string;
  versions: VersionIndexEntry[];
}

/** Pure: one version's entry. */
export function versionIndexEntry(table: RouteTable): VersionIndexEntry {
  return {
    version: table.version,
    status: table.deprecation ? 'deprecated' : 'current',
    href: `/${table.version}`,
    openapi: `/${table.version}/openapi.json`,
    ...(table.deprecation ? { deprecation: { since: table.deprecation.since, sunset: table.deprecation.sunset, successor: table.deprecation.successor } } : {}),
    ...(table.deprecation?.migrationNotes ? { migrationNotes: migrationNotesPath(table.version) } : {}),
  };
}

/** Pure: the whole index. */
export function apiIndex(name: string, tables: readonly RouteTable[]): ApiIndex {
  return { name, docs: '/docs', versions: tables.map(versionIndexEntry) };
}
