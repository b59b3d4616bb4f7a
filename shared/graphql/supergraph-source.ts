/**
 * Where a GraphQL BFF reads its supergraph: a file (the default) or a URL polled over HTTP,
 * e.g. a schema registry or an artifact store. Both hand back the SDL text; the plugin
 * compares it with what it serves and swaps on change.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'undici';

export interface SupergraphSource {
  /** For logs and readiness details: the path or URL. */
  readonly location: string;
  /** The current SDL; rejects with a message saying what went wrong. */
  read(): Promise<string>;
}

/** Longest wait for the supergraph from a URL, connect to last byte, in ms. */
export const DEFAULT_SUPERGRAPH_FETCH_TIMEOUT_MS = 5_000;
/** A supergraph larger than this is refused (a misconfigured URL serving something else). */
export const MAX_SUPERGRAPH_BYTES = 32 * 1024 * 1024;

/** The supergraph could not be fetched (as opposed to fetched and found invalid). */
export class SupergraphFetchError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SupergraphFetchError';
  }
}

export function fileSupergraphSource(path: string): SupergraphSource {
  return { location: path, read: () => readFile(path, 'utf8') };
}

/**
 * Polls `url` with `If-None-Match`, so an unchanged supergraph costs the server a 304.
 * Anything but 200 or 304, a body over MAX_SUPERGRAPH_BYTES or a timeout rejects.
 */
export function urlSupergraphSource(url: string, options: { timeoutMs?: number; headers?: Record<string, string> } = {}): SupergraphSource {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SUPERGRAPH_FETCH_TIMEOUT_MS;
  let last: { etag: string; sdl: string } | undefined;
  return {
    location: url,
    async read() {
      try {
        return await fetchSupergraph();
      } catch (err) {
        throw err instanceof SupergraphFetchError ? err : new SupergraphFetchError(`${url}: ${(err as Error).message}`, { cause: err });
      }
    },
  };

  async function fetchSupergraph(): Promise<string> {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'text/plain, application/graphql, */*', ...options.headers, ...(last ? { 'if-none-match': last.etag } : {}) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.statusCode === 304 && last) {
      await res.body.dump();
      return last.sdl;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new SupergraphFetchError(`${url} answered ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_SUPERGRAPH_BYTES) {
      await res.body.dump();
      throw new SupergraphFetchError(`${url} serves ${declared} bytes, more than the ${MAX_SUPERGRAPH_BYTES} a supergraph may have`);
    }
    const sdl = await res.body.text();
    if (sdl.length > MAX_SUPERGRAPH_BYTES) throw new SupergraphFetchError(`${url} serves more than the ${MAX_SUPERGRAPH_BYTES} bytes a supergraph may have`);
    const etag = res.headers.etag;
    last = typeof etag === 'string' ? { etag, sdl } : undefined;
    return sdl;
  }
}
