/** Small real-HTTP helpers for tests (undici, no mocks). */
import { request } from 'undici';
import { request as nodeRequest, type IncomingMessage } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A body's JSON, or undefined when it is not JSON. */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads a node:http response whole. */
export function collectBody(res: IncomingMessage): Promise<{ text: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ text, json: jsonOrUndefined(text) });
    });
    res.on('error', reject);
  });
}

export async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpResult> {
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: jsonOrUndefined(text) };
}

export function postGraphql(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
}

/**
 * A GET through node:http, which sends headers exactly as given (undici rewrites the
 * Connection header), for tests about hop-by-hop handling.
 */
export function rawGet(url: string, headers: Record<string, string>): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = nodeRequest(url, { method: 'GET', headers, agent: false }, (res) => {
      collectBody(res).then(({ text, json }) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json }), reject);
    });
    req.on('error', reject);
    req.end();
  });
}
