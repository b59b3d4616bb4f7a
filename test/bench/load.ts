/**
 * Load and checks against one contestant: the single request whose body is compared with
 * the baseline's, and autocannon runs (warm-up, measured window) with every response's
 * status and latency recorded.
 */
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import { request } from 'undici';
import type { BodyAllowance, Operation } from './contestants';
import type { LoadSettings } from './options';

/** Longest wait for one response, in seconds (autocannon counts a timeout as an error). */
export const REQUEST_TIMEOUT_SEC = 10;

/** Latency samples kept per window (8 bytes each); responses beyond it still count, only percentiles ignore them. */
const MAX_LATENCY_SAMPLES = 2_000_000;

/** One response, read whole. */
export interface FetchedResponse {
  status: number;
  bytes: number;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/** Sends the operation once. */
export async function fetchOnce(origin: string, op: Operation): Promise<FetchedResponse> {
  const res = await request(`${origin}${op.path}`, {
    method: op.method,
    headers: op.headers,
    body: op.body,
    headersTimeout: REQUEST_TIMEOUT_SEC * 1_000,
    bodyTimeout: REQUEST_TIMEOUT_SEC * 1_000,
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, bytes: Buffer.byteLength(text), text, json };
}

/** The first path at which two JSON values differ (`$.data.users[0].id`), or undefined when equal. */
export function firstDifference(actual: unknown, expected: unknown, at = '$'): string | undefined {
  if (isDeepStrictEqual(actual, expected)) return undefined;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
      const found = firstDifference(actual[i], expected[i], `${at}[${i}]`);
      if (found) return found;
    }
    return at;
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object' && !Array.isArray(actual) && !Array.isArray(expected)) {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (!(key in a)) return `${at}.${key} (missing)`;
      if (!(key in e)) return `${at}.${key} (unexpected)`;
      const found = firstDifference(a[key], e[key], `${at}.${key}`);
      if (found) return found;
    }
    return at;
  }
  return at;
}

/** Characters of each body shown around the first differing byte. */
const DIFFERENCE_CONTEXT_CHARS = 40;

/**
 * How a contestant's body differs from the baseline's, or undefined when it is the same
 * bytes (less what `allowance` states). A different JSON value is located by path; the
 * same value written with other bytes (key order, whitespace, escapes) by the offset of
 * the first differing character, with both bodies' text around it.
 */
export function bodyDifference(actual: FetchedResponse, expected: FetchedResponse, allowance?: BodyAllowance): string | undefined {
  const expectedText = allowance === 'no-final-newline' ? expected.text.replace(/\n$/, '') : expected.text;
  if (actual.text === expectedText) return undefined;
  const path = firstDifference(actual.json, expected.json);
  if (path) return `response differs from the baseline's at ${path}`;
  let at = 0;
  while (at < actual.text.length && actual.text[at] === expectedText[at]) at++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - DIFFERENCE_CONTEXT_CHARS), at + DIFFERENCE_CONTEXT_CHARS));
  return `response has the baseline's JSON value in other bytes from character ${at}: ${around(actual.text)} against ${around(expectedText)}`;
}

/**
 * Why a response cannot serve as (or match) the reference, or undefined when it is good:
 * a non-2xx status, a body that is not JSON, or GraphQL errors.
 */
export function responseProblem(res: FetchedResponse, graphql: boolean): string | undefined {
  const snippet = res.text.replace(/\s+/g, ' ').slice(0, 200);
  if (res.status < 200 || res.status > 299) return `status ${res.status}: ${snippet}`;
  if (res.json === undefined) return `body is not JSON: ${snippet}`;
  if (graphql) {
    const errors = (res.json as { errors?: Array<{ message?: string; extensions?: { code?: string } }> }).errors;
    if (Array.isArray(errors) && errors.length > 0) return `GraphQL errors: ${errors[0]?.extensions?.code ?? ''} ${errors[0]?.message ?? ''}`.trim();
  }
  return undefined;
}

/** What one autocannon run measured. */
export interface LoadResult {
  /** Responses received in the window (any status). */
  responses: number;
  /** Wall time of the window, in seconds, from the first connection to the last response counted. */
  windowSec: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  socketErrors: number;
  /** 2xx responses whose body differed from the expected one (e.g. GraphQL errors in a 200). */
  wrongBodies: number;
  /** Latency percentiles over every response, in ms; undefined when nothing was answered. */
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

/** The stop function of the load currently running, for Ctrl-C. */
let stopCurrent: (() => void) | undefined;

/** Stops the load run in progress, if any (its promise then resolves early). */
export function stopRunningLoad(): void {
  stopCurrent?.();
}

function percentile(sorted: Float64Array, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index];
}

/**
 * Runs autocannon for `durationSec` with `settings.connections` keep-alive connections, one
 * request in flight on each. With `expectBody`, every response body is compared with it, so
 * a gateway answering fast with errors inside a 200 is counted as failing, not as throughput.
 */
export async function runLoad(origin: string, op: Operation, settings: LoadSettings, durationSec: number, expectBody?: string): Promise<LoadResult> {
  let latencies = new Float64Array(65_536);
  let samples = 0;
  let responses = 0;
  let non2xx = 0;
  const startedAt = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${origin}${op.path}`,
        method: op.method,
        headers: op.headers,
        ...(op.body !== undefined ? { body: op.body } : {}),
        connections: settings.connections,
        pipelining: 1,
        duration: durationSec,
        timeout: REQUEST_TIMEOUT_SEC,
        // autocannon ends a run on its next sample tick after `duration`: a short tick keeps the window close to it.
        sampleInt: 100,
        ...(expectBody !== undefined ? { expectBody } : {}),
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    stopCurrent = () => instance.stop();
    instance.on('response', (_client: autocannon.Client, statusCode: number, _bytes: number, responseTimeMs: number) => {
      responses++;
      if (statusCode < 200 || statusCode > 299) non2xx++;
      if (samples === latencies.length && samples < MAX_LATENCY_SAMPLES) {
        const grown = new Float64Array(Math.min(MAX_LATENCY_SAMPLES, latencies.length * 2));
        grown.set(latencies);
        latencies = grown;
      }
      if (samples < latencies.length) latencies[samples++] = responseTimeMs;
    });
  }).finally(() => {
    stopCurrent = undefined;
  });
  const windowSec = (performance.now() - startedAt) / 1_000;
  const sorted = latencies.subarray(0, samples).sort();
  return {
    responses,
    windowSec,
    non2xx,
    socketErrors: result.errors,
    // A non-2xx body never equals the expected 2xx body: those are already counted in non2xx.
    wrongBodies: Math.max(0, result.mismatches - non2xx),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}
