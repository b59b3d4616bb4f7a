/**
 * Per-client GraphQL metrics: requests, errors and latency by operation name and by the
 * client name and version a request declares (`apollographql-client-name` /
 * `apollographql-client-version`, or `x-client-name` / `x-client-version`), so one app
 * version's error rate can be told from another's.
 *
 * Clients choose these values, so none becomes a label unchecked and their number is
 * bounded: a header value must match the client name or version pattern of the trusted
 * documents (`__invalid` otherwise), the first `maxClients` names and `maxVersionsPerClient`
 * versions of each are kept and later ones fold into `__other`. Operations named by the
 * BFF's registered operations and trusted documents are always known; other operation names
 * (only ones Apollo Server resolved in a valid document) are kept up to `maxOperations`, then
 * `__other`. Past `maxSeries` combinations, a new one keeps its client and version and folds
 * its operation into `__other`, so the series stay below
 * `maxSeries + (maxClients + 3) * (maxVersionsPerClient + 3)` (and the error series below
 * twice that).
 *
 * Recording is on every GraphQL request, so its cost is a few map lookups: label children
 * are bound once per combination in nested maps (no key strings built per request), and
 * header values already seen are answered from those maps without matching them again.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CLIENT_NAME_PATTERN, CLIENT_VERSION_PATTERN } from '../graphql/trusted-document-manifests';
import type { PorticoMetrics } from './metrics';

/** Label values that stand for something other than a name the client sent. */
export const FOLDED_LABEL = {
  /** An operation without a name. */
  anonymous: '__anonymous',
  /** A request that never named a resolved operation: refused before (parse, validation, authentication, rate limit) or not a GraphQL request at all. */
  unresolved: '__unresolved',
  /** No client name (or version) header. */
  none: '__none',
  /** A header value that is not a valid client name or version (or a repeated header). */
  invalid: '__invalid',
  /** A valid value past its cap. */
  other: '__other',
} as const;

/** Bounds of the per-client GraphQL metrics' label values. */
export interface GraphqlClientMetricsLimits {
  /** Most operation names kept besides the registered ones; later ones count as `__other`. Default 500. */
  maxOperations: number;
  /** Most client names kept; later ones count as `__other`. Default 50. */
  maxClients: number;
  /** Most versions kept per client name; later ones count as `__other`. Default 20. */
  maxVersionsPerClient: number;
  /** Most (operation, client, version) combinations; later ones keep client and version, operation `__other`. Default 2,000. */
  maxSeries: number;
  /** Most distinct error codes; later ones count as `__other`. Default 50. */
  maxErrorCodes: number;
}

export const DEFAULT_GRAPHQL_CLIENT_METRICS_LIMITS: GraphqlClientMetricsLimits = { maxOperations: 500, maxClients: 50, maxVersionsPerClient: 20, maxSeries: 2_000, maxErrorCodes: 50 };

/** Longest operation name kept as a label; longer ones count as `__other`. */
export const MAX_OPERATION_NAME_LENGTH = 128;

/** Error codes are upper- or lower-case words with underscores (Portico's, Apollo's, subgraphs'). */
const ERROR_CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** What a GraphQL request reported by the time its response was sent. */
export interface GraphqlRequestReport {
  /** The resolved operation's name, `''` when it has none; undefined when no operation was resolved. */
  operation: string | undefined;
  /** The code of the response's first error; undefined when it had none (an error status without a code is still counted). */
  errorCode: string | undefined;
  /** Set on requests that run no operation (the IDE page): not recorded. */
  untracked?: boolean;
}

interface LeafSeries {
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
  errors: Map<string, { inc(): void }> | undefined;
  labels: { operation: string; client_name: string; client_version: string };
}

interface ClientEntry {
  label: string;
  /** Header value -> version label, for values kept (and folded values of clients that are themselves folded). */
  versions: Map<string, string>;
  kept: number;
}

export interface GraphqlClientMetrics {
  /** Records one GraphQL response. `seconds`: time from request to response. */
  record(headers: IncomingHttpHeaders, report: GraphqlRequestReport | null | undefined, statusCode: number, seconds: number): void;
}

/**
 * The recorder of one BFF. `registeredOperations`: names that are always labels of their
 * own (the BFF's registered operations and trusted documents).
 */
export function createGraphqlClientMetrics(
  metrics: Pick<PorticoMetrics, 'graphqlOperationRequests' | 'graphqlOperationErrors' | 'graphqlOperationDuration'>,
  registeredOperations: Iterable<string> = [],
  limits: Partial<GraphqlClientMetricsLimits> = {},
): GraphqlClientMetrics {
  const { maxOperations, maxClients, maxVersionsPerClient, maxSeries, maxErrorCodes } = { ...DEFAULT_GRAPHQL_CLIENT_METRICS_LIMITS, ...limits };

  const operations = new Map<string, string>();
  for (const name of registeredOperations) if (name) operations.set(name, name);
  let keptOperations = 0;
  const operationLabel = (name: string | undefined): string => {
    if (name === undefined) return FOLDED_LABEL.unresolved;
    if (name === '') return FOLDED_LABEL.anonymous;
    const known = operations.get(name);
    if (known !== undefined) return known;
    // Names come from parsed documents, so they are GraphQL names; only their length and number need bounds.
    if (keptOperations >= maxOperations || name.length > MAX_OPERATION_NAME_LENGTH) return FOLDED_LABEL.other;
    keptOperations++;
    operations.set(name, name);
    return name;
  };

  const folded = (label: string): ClientEntry => ({ label, versions: new Map(), kept: 0 });
  const noClient = folded(FOLDED_LABEL.none);
  const invalidClient = folded(FOLDED_LABEL.invalid);
  const otherClient = folded(FOLDED_LABEL.other);
  const clients = new Map<string, ClientEntry>();
  const clientOf = (value: string | string[] | undefined): ClientEntry => {
    if (value === undefined) return noClient;
    if (typeof value !== 'string') return invalidClient;
    const known = clients.get(value);
    if (known !== undefined) return known;
    // Not remembered: hostile values must not fill the map, and a regex test is cheap.
    if (!CLIENT_NAME_PATTERN.test(value)) return invalidClient;
    if (clients.size >= maxClients) return otherClient;
    const entry = folded(value);
    clients.set(value, entry);
    return entry;
  };
  const versionOf = (client: ClientEntry, value: string | string[] | undefined): string => {
    if (value === undefined) return FOLDED_LABEL.none;
    if (typeof value !== 'string') return FOLDED_LABEL.invalid;
    const known = client.versions.get(value);
    if (known !== undefined) return known;
    if (!CLIENT_VERSION_PATTERN.test(value)) return FOLDED_LABEL.invalid;
    // The versions of a client that is not itself a label are not told apart.
    if (client === noClient || client === invalidClient || client === otherClient || client.kept >= maxVersionsPerClient) return FOLDED_LABEL.other;
    client.kept++;
    client.versions.set(value, value);
    return value;
  };

  const errorCodes = new Set<string>();
  const errorCodeLabel = (code: string): string => {
    if (errorCodes.has(code)) return code;
    if (errorCodes.size >= maxErrorCodes || !ERROR_CODE_PATTERN.test(code)) return FOLDED_LABEL.other;
    errorCodes.add(code);
    return code;
  };
  // Status codes of error responses that carried no code of their own, e.g. `HTTP_400`.
  const statusLabels = new Map<number, string>();
  const statusLabel = (status: number): string => {
    let label = statusLabels.get(status);
    if (label === undefined) statusLabels.set(status, (label = `HTTP_${status}`));
    return label;
  };

  // operation -> client name -> client version -> children.
  const series = new Map<string, Map<string, Map<string, LeafSeries>>>();
  let seriesCount = 0;
  const leafOf = (operation: string, client: string, version: string, overCap = false): LeafSeries => {
    let byClient = series.get(operation);
    if (!byClient) series.set(operation, (byClient = new Map()));
    let byVersion = byClient.get(client);
    if (!byVersion) byClient.set(client, (byVersion = new Map()));
    let leaf = byVersion.get(version);
    if (leaf) return leaf;
    if (!overCap && operation !== FOLDED_LABEL.other && seriesCount >= maxSeries) return leafOf(FOLDED_LABEL.other, client, version, true);
    const labels = { operation, client_name: client, client_version: version };
    leaf = { requests: metrics.graphqlOperationRequests.labels(labels), duration: metrics.graphqlOperationDuration.labels(labels), errors: undefined, labels };
    byVersion.set(version, leaf);
    seriesCount++;
    return leaf;
  };

  // Error series beyond maxSeries count under code `__other`: at most one more per combination.
  let errorSeriesCount = 0;
  const errorCounterOf = (leaf: LeafSeries, codeLabel: string): { inc(): void } => {
    leaf.errors ??= new Map();
    let label = codeLabel;
    let counter = leaf.errors.get(label);
    if (counter) return counter;
    if (errorSeriesCount >= maxSeries && label !== FOLDED_LABEL.other) {
      label = FOLDED_LABEL.other;
      counter = leaf.errors.get(label);
      if (counter) return counter;
    }
    counter = metrics.graphqlOperationErrors.labels({ ...leaf.labels, code: label });
    leaf.errors.set(label, counter);
    errorSeriesCount++;
    return counter;
  };

  return {
    record(headers, report, statusCode, seconds) {
      if (report?.untracked) return;
      const client = clientOf(headers['apollographql-client-name'] ?? headers['x-client-name']);
      const version = versionOf(client, headers['apollographql-client-version'] ?? headers['x-client-version']);
      const leaf = leafOf(operationLabel(report?.operation), client.label, version);
      leaf.requests.inc();
      leaf.duration.observe(seconds);
      // Status labels are bounded by HTTP itself; codes need checking and a cap.
      const code = report?.errorCode !== undefined ? errorCodeLabel(report.errorCode) : statusCode >= 400 ? statusLabel(statusCode) : undefined;
      if (code !== undefined) errorCounterOf(leaf, code).inc();
    },
  };
}
