/**
 * Portico's error catalogue: every error a client can receive from any BFF has one
 * stable `code`, one HTTP status and one default message, listed here and in docs/errors.md.
 *
 * REST bodies are `{ statusCode, code, error, message, requestId }`; GraphQL errors carry
 * the same `code` in `extensions.code`. Library errors (Fastify, undici, Apollo) are mapped
 * where they enter, keeping the original as `cause` for logs only: upstream bodies, URLs
 * and stack traces never reach a client.
 */
import { STATUS_CODES } from 'node:http';

export const ERROR_CATALOGUE = {
  BAD_REQUEST: { statusCode: 400, message: 'The request is malformed.' },
  INVALID_JSON: { statusCode: 400, message: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { statusCode: 400, message: 'The request does not match the route schema.' },
  AUTH_REQUIRED: { statusCode: 401, message: 'Authentication is required: send a bearer token or an API key.' },
  AUTH_TOKEN_INVALID: { statusCode: 401, message: 'The bearer token is malformed or its signature does not verify.' },
  AUTH_TOKEN_EXPIRED: { statusCode: 401, message: 'The bearer token has expired.' },
  AUTH_TOKEN_NOT_YET_VALID: { statusCode: 401, message: 'The bearer token is not valid yet.' },
  AUTH_TOKEN_WRONG_AUDIENCE: { statusCode: 401, message: 'The bearer token was issued for another audience.' },
  AUTH_TOKEN_WRONG_ISSUER: { statusCode: 401, message: 'The bearer token was issued by an untrusted issuer.' },
  AUTH_ALGORITHM_NOT_ALLOWED: { statusCode: 401, message: 'The bearer token is signed with an algorithm that is not allowed.' },
  AUTH_API_KEY_INVALID: { statusCode: 401, message: 'The API key is unknown or revoked.' },
  AUTH_PRINCIPAL_KIND_NOT_ACCEPTED: { statusCode: 401, message: 'These credentials belong to another kind of client than this API serves.' },
  AUTH_KEYS_UNAVAILABLE: { statusCode: 503, message: 'The keys needed to check credentials could not be fetched; try again shortly.' },
  AUTH_TOKEN_INACTIVE: { statusCode: 401, message: 'The bearer token is not active: it is unknown, expired or revoked.' },
  AUTH_INTROSPECTION_UNAVAILABLE: { statusCode: 503, message: 'The bearer token could not be checked with the authorization server; try again shortly.' },
  FORBIDDEN: { statusCode: 403, message: 'The credentials do not grant access to this resource.' },
  ACCESS_DENIED: { statusCode: 403, message: 'Requests from this client are not accepted.' },
  NOT_FOUND: { statusCode: 404, message: 'No route matches this method and path.' },
  METHOD_NOT_ALLOWED: { statusCode: 405, message: 'This method is not allowed on this route.' },
  REQUEST_TIMEOUT: { statusCode: 408, message: 'The request did not arrive in time.' },
  PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'The request body exceeds the size limit.' },
  RATE_LIMITED: { statusCode: 429, message: 'Too many requests; retry after the time in Retry-After.' },
  HEADERS_TOO_LARGE: { statusCode: 431, message: 'The request headers exceed the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'The request content type is not supported.' },
  INTERNAL_ERROR: { statusCode: 500, message: 'An internal error occurred.' },
  UPSTREAM_UNAVAILABLE: { statusCode: 502, message: 'An upstream service could not be reached.' },
  UPSTREAM_BAD_RESPONSE: { statusCode: 502, message: 'An upstream service returned an invalid response.' },
  NOT_READY: { statusCode: 503, message: 'The gateway is not ready to serve this request yet.' },
  SHUTTING_DOWN: { statusCode: 503, message: 'The gateway is shutting down.' },
  RATE_LIMITER_UNAVAILABLE: { statusCode: 503, message: 'The rate limiter is unavailable and this gateway is configured to fail closed.' },
  UPSTREAM_CIRCUIT_OPEN: { statusCode: 503, message: 'An upstream service is failing; requests to it are paused briefly.' },
  UPSTREAM_TIMEOUT: { statusCode: 504, message: 'An upstream service did not answer in time.' },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The JSON body of every REST error response. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  requestId?: string;
}

/** An error Portico raises on purpose: its code decides the status and the client-facing message. */
export class PorticoError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Extra response headers, e.g. `retry-after`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message?: string, options: { cause?: unknown; headers?: Record<string, string> } = {}) {
    super(message ?? ERROR_CATALOGUE[code].message, { cause: options.cause });
    this.name = 'PorticoError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].statusCode;
    this.headers = options.headers ?? {};
  }
}

export function isPorticoError(value: unknown): value is PorticoError {
  return value instanceof PorticoError;
}

/** Fastify's own error codes for bad input, mapped to catalogue codes. */
const FASTIFY_CODE_MAP: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_NOT_FOUND: 'NOT_FOUND',
};

/**
 * Turns anything thrown inside a request into a Portico error. Client-side faults keep
 * a safe, specific message; everything else becomes INTERNAL_ERROR with the original as cause.
 */
export function toPorticoError(err: unknown): PorticoError {
  if (isPorticoError(err)) return err;
  const e = err as { code?: unknown; statusCode?: unknown; validation?: unknown; message?: unknown } | null;
  if (e && typeof e === 'object') {
    if (e.validation) {
      return new PorticoError('VALIDATION_FAILED', String(e.message), { cause: err });
    }
    const mapped = typeof e.code === 'string' ? FASTIFY_CODE_MAP[e.code] : undefined;
    if (mapped) {
      // Fastify's messages for these codes describe the client's input, never internals.
      const message = mapped === 'INVALID_JSON' ? ERROR_CATALOGUE.INVALID_JSON.message : String(e.message);
      return new PorticoError(mapped, message, { cause: err });
    }
    if (err instanceof SyntaxError && typeof e.statusCode === 'number' && e.statusCode === 400) {
      return new PorticoError('INVALID_JSON', undefined, { cause: err });
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return new PorticoError(e.statusCode === 404 ? 'NOT_FOUND' : e.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : e.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', undefined, { cause: err });
    }
  }
  return new PorticoError('INTERNAL_ERROR', undefined, { cause: err });
}

/** Builds the REST error body for an error; never includes a stack or a cause. */
export function errorBody(err: PorticoError, requestId?: string): ErrorBody {
  return {
    statusCode: err.statusCode,
    code: err.code,
    error: STATUS_CODES[err.statusCode] ?? 'Error',
    message: err.message,
    ...(requestId ? { requestId } : {}),
  };
}
