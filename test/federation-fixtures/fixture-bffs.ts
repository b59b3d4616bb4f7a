/**
 * Real Portico web BFFs serving a fixture supergraph: the whole GraphQL route (Portico's
 * subgraph data source with its pools, timeouts, circuit breakers and error mapping, the
 * client error format), with either executor. Two of them, one per executor, over the same
 * fixture subgraphs compare the executors as clients meet them, faults included.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphqlExecutorKind } from '../../shared/graphql/executor/plan-executor';
import type { BreakerSettings } from '../../shared/upstream/breaker';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import type { RunningFixture } from './fixture';

/** A BFF's answer to one operation: status and body as sent. */
export interface BffAnswer {
  readonly status: number;
  readonly body: string;
}

export interface FixtureBff {
  readonly executor: GraphqlExecutorKind;
  readonly bff: RunningBff;
  /** Posts the operation with `requestId` as its `x-request-id` (forwarded to every subgraph call it makes). */
  execute(document: string, variables: Readonly<Record<string, unknown>>, requestId: string): Promise<BffAnswer>;
}

export interface FixtureBffOptions {
  /** Subgraph call timeout (headers and body), in ms. */
  readonly subgraphTimeoutMs: number;
  readonly breakers: BreakerSettings;
}

/** Breakers that never open on their own: a run's faults must not pause a subgraph for later operations. */
export const BREAKERS_NEVER_OPEN: BreakerSettings = {
  all: { volumeThreshold: 1_000_000, sustainedFailureMs: 3_600_000, slowCallMs: 3_600_000 },
};

/** Breakers that open on a subgraph's first failure and stay open for the run. */
export const BREAKERS_OPEN_ON_FIRST_FAILURE: BreakerSettings = {
  all: { volumeThreshold: 1, errorThresholdPercentage: 1, resetTimeoutMs: 3_600_000, sustainedFailureMs: 3_600_000, slowCallMs: 3_600_000 },
};

/** Limits no generated operation reaches: the operations are the harness's, not a client's. */
const UNLIMITED = { maxDepth: 100, maxAliases: 1_000, maxRootFields: 100, maxDirectivesPerField: 10, maxCost: 100_000_000, maxTokens: 100_000 };

/** One web BFF per executor over the fixture; `close` stops them and removes the supergraph file. */
export async function startFixtureBffs(
  running: RunningFixture,
  executors: readonly GraphqlExecutorKind[],
  options: FixtureBffOptions,
): Promise<{ bffs: FixtureBff[]; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-fixture-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, running.supergraphSdl);
  const started: RunningBff[] = [];
  const close = async () => {
    await Promise.all(started.map((bff) => bff.close()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const bffs = await Promise.all(
      executors.map(async (executor): Promise<FixtureBff> => {
        const bff = await startWebBff({
          graphql: {
            supergraphPath,
            executor,
            limits: UNLIMITED,
            // A shared call would carry one request's faults into another's answer.
            dedupeSubgraphQueries: false,
            subgraphPools: { all: { headersTimeoutMs: options.subgraphTimeoutMs, bodyTimeoutMs: options.subgraphTimeoutMs } },
            warmUp: { enabled: false },
            watchSupergraphMs: 0,
            introspection: false,
          },
          policies: { breakers: options.breakers },
        });
        started.push(bff);
        return {
          executor,
          bff,
          async execute(document, variables, requestId) {
            const res = await http(`${bff.url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-request-id': requestId },
              body: JSON.stringify({ query: document, variables }),
            });
            return { status: res.status, body: res.text };
          },
        };
      }),
    );
    return { bffs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
