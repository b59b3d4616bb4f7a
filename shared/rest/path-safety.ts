/**
 * Passthrough path safety, pure. A passthrough forwards the rest of the path after its
 * prefix; that rest must never let a client address anything outside the upstream prefix,
 * whatever the upstream's own decoding does. So, after decoding each segment once, no
 * segment may be `.` or `..`, hold a slash or backslash, still hold a `%` (double
 * encoding), a NUL or control character, or a `;` (matrix parameters: Tomcat, Spring and
 * others cut `..;` to `..` after Portico checked the path); and no segment may be empty (`//`).
 */

/** Returns why the path is refused, or undefined when it is safe. `rest` is the part after the route prefix, starting with `/` or empty. */
export function unsafePathReason(rest: string): string | undefined {
  const path = rest.split('?')[0] ?? '';
  if (path === '' || path === '/') return undefined;
  if (!path.startsWith('/')) return 'the path must continue with a slash after the route prefix';
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i] as string;
    if (raw === '') {
      if (i === segments.length - 1) continue; // a trailing slash is harmless
      return 'empty path segments are not allowed';
    }
    // Without a `%` there is nothing to decode.
    let decoded = raw;
    if (raw.includes('%')) {
      try {
        decoded = decodeURIComponent(raw);
      } catch {
        return 'the path is not valid percent-encoding';
      }
    }
    if (decoded === '.' || decoded === '..') return 'dot segments are not allowed';
    if (decoded.includes(';')) return 'matrix parameters (;) are not allowed';
    if (/[/\\]/.test(decoded)) return 'encoded slashes are not allowed';
    if (decoded.includes('%')) return 'double-encoded characters are not allowed';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return 'control characters are not allowed';
  }
  return undefined;
}

/** A path whose characters need no decoding: no `%`, `;`, backslash, control character or anything outside RFC 3986's path and query sets. */
export const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,=:@/]*$/;

const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;

/**
 * {@link unsafePathReason}'s verdict, for a rest of a path matching {@link PLAIN_PATH} only:
 * with nothing to decode, only a missing leading slash, an empty segment or a dot segment
 * makes it unsafe. The passthrough fast path's check on every request.
 */
export function isSafePlainRest(rest: string): boolean {
  if (rest === '') return true;
  return rest.charCodeAt(0) === 0x2f && !rest.includes('//') && !DOT_SEGMENT.test(rest);
}
