/**
 * Conventions every demo REST endpoint follows: lists answer
 * `{ items, total, offset, limit }`, paging parameters are validated with an error that
 * names the parameter, and errors use the same JSON shape as Portico's own.
 */

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

export class RestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export function notFound(kind: string, id: string): RestError {
  return new RestError(404, 'NOT_FOUND', `${kind} '${id}' was not found.`);
}

export interface Paging {
  offset: number;
  limit: number;
}

export interface Page<T> extends Paging {
  items: T[];
  total: number;
}

type Query = Record<string, string | string[] | undefined>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new RestError(400, 'BAD_REQUEST', `Query parameter '${name}' must be given at most once.`);
  return value;
}

function nonNegativeInteger(query: Query, name: string, fallback: number, max: number): number {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    throw new RestError(400, 'BAD_REQUEST', `Query parameter '${name}' must be an integer between 0 and ${max}.`);
  }
  return Number(raw);
}

export function parsePaging(query: Query): Paging {
  return {
    offset: nonNegativeInteger(query, 'offset', 0, 1_000_000),
    limit: nonNegativeInteger(query, 'limit', DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT),
  };
}

/** A comma-separated id list (`?ids=1,2,3`), or undefined when the parameter is absent. */
export function parseIdList(query: Query, name: string): string[] | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  const ids = raw.split(',').map((id) => id.trim());
  if (ids.some((id) => id === '') || ids.length > MAX_PAGE_LIMIT) {
    throw new RestError(400, 'BAD_REQUEST', `Query parameter '${name}' must be a comma-separated list of at most ${MAX_PAGE_LIMIT} ids.`);
  }
  return ids;
}

export function optionalParam(query: Query, name: string): string | undefined {
  return single(query, name);
}

export function paginate<T>(items: readonly T[], { offset, limit }: Paging): Page<T> {
  return { items: items.slice(offset, offset + limit), total: items.length, offset, limit };
}

/** Validates GraphQL list arguments the same way (first ≤ 100, offset ≥ 0). */
export function checkListArguments(first: number, offset = 0): string | undefined {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_LIMIT) return `Argument 'first' must be between 0 and ${MAX_PAGE_LIMIT}.`;
  if (!Number.isInteger(offset) || offset < 0) return "Argument 'offset' must not be negative.";
  return undefined;
}
