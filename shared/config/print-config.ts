/**
 * `--print-config`: the effective configuration of a BFF (its manifest after the
 * environment and the checks) as JSON, with secrets redacted, for operators to see what a
 * process would run with before it runs.
 */
import type { BffManifest } from '../manifest';

export const PRINT_CONFIG_FLAG = '--print-config';
export const REDACTED = '[redacted]';

/** Keys whose values are credentials wherever they appear (client secrets, tokens, passwords). */
const SECRET_KEY = /secret|token|password/i;

/** Pure: a URL string with its password (and a lone user-info secret) replaced; other strings unchanged. */
function redactUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = REDACTED;
    else if (url.username) url.username = REDACTED;
    return url.toString();
  } catch {
    return value;
  }
}

/** Pure: a JSON-ready copy with secrets redacted; functions (route handlers, clocks) are shown as `[function]`. */
export function redactConfig(value: unknown, key = '', parentKey = ''): unknown {
  if (typeof value === 'function') return '[function]';
  if (typeof value === 'string') {
    // API key records keep their ids and plans; their hashes are what a key is checked against.
    if (SECRET_KEY.test(key) || (key === 'hash' && parentKey === 'records')) return REDACTED;
    return redactUrl(value);
  }
  if (Array.isArray(value)) return value.map((item) => redactConfig(item, key, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactConfig(v, k, key === '' ? parentKey : key)]));
  }
  return value;
}

/** Pure: whether the process was asked to print its configuration instead of serving. */
export function printConfigRequested(argv: readonly string[]): boolean {
  return argv.slice(2).includes(PRINT_CONFIG_FLAG);
}

/** Pure: the text `--print-config` prints. */
export function printedConfig(manifest: BffManifest): string {
  return `${JSON.stringify(redactConfig(manifest), null, 2)}\n`;
}
