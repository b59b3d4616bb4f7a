/**
 * Where a target's endpoints come from: a fixed list, DNS (the name resolved again every
 * `refreshMs`; every address is an endpoint on the configured port) or a JSON file (read
 * again when it changes). A failed lookup or a broken file keeps the last good list and is
 * logged once per problem; discovery never throws into the request path.
 */
import { promises as dnsPromises } from 'node:dns';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { DnsDiscoverySettings, FileDiscoverySettings, TargetSettings } from './target-settings';
import { DEFAULT_DNS_REFRESH_MS, DEFAULT_FILE_WATCH_MS, isOrigin, normalizeOrigin } from './target-settings';

/** Resolves a hostname to its addresses; injectable so tests can change the answers. */
export type DnsResolver = (hostname: string, family: 0 | 4 | 6) => Promise<string[]>;

/** The default resolver: the system resolver (hosts file and DNS; A and AAAA records). */
export const systemDnsResolver: DnsResolver = async (hostname, family) => {
  const answers = await dnsPromises.lookup(hostname, { all: true, family });
  return answers.map((a) => a.address);
};

/** The part of a logger discovery reports to. */
export interface DiscoveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface EndpointSource {
  /** Reads the endpoints once (reporting them to `onChange`), then keeps watching. */
  start(onChange: (origins: string[]) => void): Promise<void>;
  stop(): void;
}

/** Pure: endpoint origins for resolved addresses (IPv6 in brackets), sorted and without duplicates. */
export function originsFromAddresses(addresses: readonly string[], protocol: 'http' | 'https', port: number): string[] {
  const origins = addresses.map((address) => normalizeOrigin(`${protocol}://${isIP(address) === 6 ? `[${address}]` : address}:${port}`));
  return [...new Set(origins)].sort();
}

/** Pure: the endpoints listed in an endpoints file's text; throws an Error saying what is wrong. */
export function parseEndpointsFile(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  const endpoints = (parsed as { endpoints?: unknown } | null)?.endpoints;
  if (!Array.isArray(endpoints)) throw new Error("expected an object with an 'endpoints' list");
  const bad = endpoints.filter((e) => !isOrigin(e));
  if (bad.length > 0) throw new Error(`not http(s) origins: ${bad.map((e) => JSON.stringify(e)).join(', ')}`);
  return [...new Set((endpoints as string[]).map(normalizeOrigin))].sort();
}

function staticSource(origins: readonly string[]): EndpointSource {
  return {
    start: async (onChange) => onChange([...new Set(origins.map(normalizeOrigin))]),
    stop: () => undefined,
  };
}

/** Polls a read function; reports a new list when it differs, logs a problem once until it goes away. */
function pollingSource(what: object, intervalMs: number, read: () => Promise<string[]>, log: DiscoveryLog): EndpointSource {
  let timer: NodeJS.Timeout | undefined;
  let last: string | undefined;
  let problem: string | undefined;
  let stopped = false;
  let busy = false;
  return {
    async start(onChange) {
      const poll = async () => {
        // A slow lookup is not doubled up by the next tick.
        if (busy) return;
        busy = true;
        let origins: string[];
        try {
          origins = await read();
        } catch (err) {
          const message = (err as Error).message;
          if (message !== problem) log.error({ ...what, problem: message }, 'endpoint discovery failed; keeping the last good endpoints');
          problem = message;
          return;
        } finally {
          busy = false;
        }
        if (stopped) return;
        if (problem !== undefined) log.info(what, 'endpoint discovery recovered');
        problem = undefined;
        const key = origins.join(' ');
        if (key === last) return;
        last = key;
        log.info({ ...what, endpoints: origins }, 'endpoints discovered');
        onChange(origins);
      };
      await poll();
      if (stopped) return;
      timer = setInterval(() => void poll(), intervalMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function dnsSource(upstream: string, target: string, dns: DnsDiscoverySettings, resolve: DnsResolver, log: DiscoveryLog): EndpointSource {
  return pollingSource({ upstream, target, hostname: dns.hostname }, dns.refreshMs ?? DEFAULT_DNS_REFRESH_MS, async () => {
    const addresses = await resolve(dns.hostname, dns.family ?? 0);
    // An empty answer is treated like a failed lookup: dropping every endpoint on a DNS hiccup would be worse.
    if (addresses.length === 0) throw new Error(`no addresses for ${dns.hostname}`);
    return originsFromAddresses(addresses, dns.protocol ?? 'http', dns.port);
  }, log);
}

function fileSource(upstream: string, target: string, file: FileDiscoverySettings, log: DiscoveryLog): EndpointSource {
  return pollingSource({ upstream, target, path: file.path }, file.watchMs ?? DEFAULT_FILE_WATCH_MS, async () => {
    let text: string;
    try {
      text = await readFile(file.path, 'utf8');
    } catch (err) {
      throw new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'file unreadable');
    }
    return parseEndpointsFile(text);
  }, log);
}

/** The endpoint source a validated target configuration describes. */
export function createEndpointSource(upstream: string, target: TargetSettings, deps: { resolveDns?: DnsResolver; log: DiscoveryLog }): EndpointSource {
  if (target.dns) return dnsSource(upstream, target.name, target.dns, deps.resolveDns ?? systemDnsResolver, deps.log);
  if (target.file) return fileSource(upstream, target.name, target.file, deps.log);
  return staticSource(target.origins ?? []);
}
