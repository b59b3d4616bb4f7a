/** The schema of `UpstreamPoolOptions`: the pool of one upstream (sockets and timeouts). */
import { Type } from '@sinclair/typebox';
import { DEFAULT_UPSTREAM_POOL_OPTIONS } from './upstream-pool';

export const UpstreamPoolOptionsSchema = Type.Object(
  {
    connections: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_UPSTREAM_POOL_OPTIONS.connections, description: 'Maximum open sockets to this upstream' })),
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_UPSTREAM_POOL_OPTIONS.connectTimeoutMs, description: 'Time to establish a TCP connection, in ms' })),
    headersTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_UPSTREAM_POOL_OPTIONS.headersTimeoutMs, description: 'Time until the response headers arrive, in ms' })),
    bodyTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_UPSTREAM_POOL_OPTIONS.bodyTimeoutMs, description: 'Longest pause between two body chunks, in ms' })),
    keepAliveTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_UPSTREAM_POOL_OPTIONS.keepAliveTimeoutMs, description: 'How long an idle keep-alive socket stays open, in ms' })),
    deadlineMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_UPSTREAM_POOL_OPTIONS.deadlineMs, description: 'Longest whole call, queued for a connection to last body byte, retries included, in ms' }),
    ),
  },
  { additionalProperties: false },
);
