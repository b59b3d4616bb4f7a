/**
 * Reading `Authorization: Bearer <token>` (RFC 6750). Client input: every check here is a
 * single pass over a length-capped string, so no header can make parsing slower than
 * reading it once (a backtracking pattern turned a 15,000-character header into 0.7 s of
 * blocked event loop).
 */

/** Longest bearer token read, in characters; longer headers are refused unread. Default 8,192. */
export const MAX_BEARER_TOKEN_LENGTH = 8_192;

/** RFC 6750 token68 characters (before any trailing `=` padding). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** base64url, as in each segment of a compact JWS. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Pure: the token of an `Authorization: Bearer <token>` header; undefined when the header is
 * absent, empty when it is present but not a well-formed bearer header (or over the cap).
 */
export function parseBearerToken(header: string | undefined, maxLength = MAX_BEARER_TOKEN_LENGTH): string | undefined {
  if (header === undefined) return undefined;
  // Room for the scheme and a few spaces; anything longer is refused before it is scanned.
  if (header.length > maxLength + 32) return '';
  if (header.length < 8 || header.slice(0, 6).toLowerCase() !== 'bearer' || header[6] !== ' ') return '';
  const token = header.slice(7).trim();
  if (token.length === 0 || token.length > maxLength || token.includes(' ') || !TOKEN68.test(token)) return '';
  return token;
}

/** Pure: whether a token has the shape of a compact JWS: three base64url segments, the first two non-empty. */
export function looksLikeJws(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return false;
  return BASE64URL.test(token.slice(0, first)) && BASE64URL.test(token.slice(first + 1, second)) && BASE64URL.test(token.slice(second + 1));
}

/** Pure: the JWT of an `Authorization: Bearer <jwt>` header; undefined when absent, empty when not a bearer JWT. */
export function parseBearerJwt(header: string | undefined, maxLength = MAX_BEARER_TOKEN_LENGTH): string | undefined {
  const token = parseBearerToken(header, maxLength);
  if (token === undefined) return undefined;
  return token && looksLikeJws(token) ? token : '';
}
