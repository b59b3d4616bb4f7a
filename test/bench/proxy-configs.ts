/**
 * nginx and haproxy as reverse proxies in front of one upstream, configured the way an
 * operator would put them in front of Portico's partner routes: loopback listener, a
 * keep-alive pool to the upstream, no access log, one process with one thread (so one pid
 * carries all the CPU the bench reads, as for the Node contestants), in the foreground so
 * the harness can stop it. Pure: each function returns the config text and the command
 * line; the harness writes the files into the contestant's own temporary folder.
 */
import path from 'node:path';

/** What a generated proxy needs to know. */
export interface ProxyTarget {
  /** Loopback port the proxy listens on. */
  port: number;
  /** Upstream origin, `http://127.0.0.1:<port>`. */
  upstreamOrigin: string;
  /** The proxy's own temporary folder (config, error log, pid and temp files), absolute. */
  dir: string;
}

/** A native program's command line and the files it reads (name inside `dir` -> content). */
export interface NativeCommand {
  argv: readonly [string, ...string[]];
  files: Record<string, string>;
}

/** Idle upstream connections nginx keeps: more than the bench's 32 client connections, so none is reopened under load. */
const UPSTREAM_KEEPALIVE_CONNECTIONS = 64;

/**
 * Requests per keep-alive connection, both sides. nginx closes a connection after 1,000
 * by default (the Node contestants never do), which would make the load generator
 * reconnect several times a second per connection.
 */
const KEEPALIVE_REQUESTS = 1_000_000;

function hostPort(origin: string): string {
  const url = new URL(origin);
  if (url.protocol !== 'http:') throw new Error(`upstream ${origin}: only http:// is proxied`);
  return url.host;
}

/** nginx without its master process or daemon mode: a single process serves and is the pid the harness started. */
export function nginxConfig(target: ProxyTarget): string {
  const file = (name: string) => path.join(target.dir, name);
  return `master_process off;
daemon off;
worker_processes 1;
pid ${file('nginx.pid')};
error_log ${file('error.log')} warn;

events {
  worker_connections 4096;
}

http {
  access_log off;
  client_body_temp_path ${file('client-body')};
  proxy_temp_path ${file('proxy')};
  keepalive_requests ${KEEPALIVE_REQUESTS};

  upstream products {
    server ${hostPort(target.upstreamOrigin)};
    keepalive ${UPSTREAM_KEEPALIVE_CONNECTIONS};
    keepalive_requests ${KEEPALIVE_REQUESTS};
  }

  server {
    listen 127.0.0.1:${target.port};

    location / {
      proxy_pass http://products;
      # HTTP/1.1 without "Connection: close" is what lets nginx reuse upstream connections.
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** `-e stderr`: errors before the config's own error log is open (a bad directive, a taken port) reach the harness's output. */
export function nginxCommand(binary: string, target: ProxyTarget): NativeCommand {
  const config = path.join(target.dir, 'nginx.conf');
  return { argv: [binary, '-p', `${target.dir}/`, '-c', config, '-e', 'stderr'], files: { 'nginx.conf': nginxConfig(target) } };
}

/** haproxy in HTTP mode with one thread, keep-alive on both sides (its defaults keep idle server connections for reuse). */
export function haproxyConfig(target: ProxyTarget): string {
  return `global
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s

frontend bench
  bind 127.0.0.1:${target.port}
  default_backend products

backend products
  server products ${hostPort(target.upstreamOrigin)}
`;
}

/** `-db`: foreground, no master-worker: the started pid serves. */
export function haproxyCommand(binary: string, target: ProxyTarget): NativeCommand {
  return { argv: [binary, '-db', '-f', path.join(target.dir, 'haproxy.cfg')], files: { 'haproxy.cfg': haproxyConfig(target) } };
}
