/**
 * What a policy is to the rest of Portico: the `policies` keys it owns with their schemas,
 * the checks a schema cannot express, its environment mapping, and its stages. The
 * pipeline's stage list (`shared/pipeline.ts`) names the stages; the manifest schema, the
 * environment reader and the configuration reference are composed from the policies those
 * stages belong to. Adding a policy is a folder with a `*-policy.ts` and one line there.
 */
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { EnvFamily, Spec } from '../config/env';
import type { BffRoutes } from '../manifest';
import type { ServerSettings } from '../server-settings';

/** Where a policy writes response headers: a Fastify reply, or the partner's fast path's answer (`rest/passthrough-fast-path.ts`). */
export interface HeaderSink {
  header(name: string, value: string): unknown;
}

/** A policy whose settings (its slice of `manifest.policies`) have the type `S`. */
export interface PolicyDefinition<S extends object = object> {
  readonly name: string;
  /** The `policies` keys this policy owns, each with its schema (all optional in the manifest). */
  readonly settings: { readonly [K in keyof S]-?: TSchema };
  /** Pure: what the schemas cannot say, as sentences naming the key (`policies.cors: ...`); run once the shape is right. */
  readonly semantics?: (settings: S) => string[];
  /** Environment mappings producing this policy's keys (`envMapping` in shared/config/env.ts). */
  readonly env: ReadonlyArray<PolicyEnvMapping<S>>;
}

/** An `EnvMapping` seen from outside the policy: its variables, the keys they decide, and the slice they produce. */
export interface PolicyEnvMapping<S extends object = object> {
  readonly title: string;
  readonly spec: Spec;
  readonly families?: readonly EnvFamily[];
  readonly settingsKeys: Readonly<Record<string, readonly string[]>>;
  /** Called with the variables of `spec` as `readEnv` parsed them. */
  toSettings(parsed: never): Partial<S>;
}

/** Declares a policy with its settings type; the schemas must name exactly the type's keys. */
export function definePolicy<S extends object>(policy: PolicyDefinition<S>): PolicyDefinition<S> {
  return policy;
}

/** What a stage is registered with: the app, and read access to the BFF's other settings. */
export interface StageContext {
  readonly app: FastifyInstance;
  readonly bff: string;
  readonly server: ServerSettings;
  readonly routes: BffRoutes;
  /** The settings of any policy (e.g. the rate limiter exempting authentication's public paths). */
  settingsOf<S extends object>(policy: PolicyDefinition<S>): S;
}

/** One step of the request pipeline. A policy stage reads its own policy's settings and does nothing when they are absent. */
export interface PipelineStage<S extends object = object> {
  readonly name: string;
  /** The policy the stage belongs to; absent for the route and response shaping, which every BFF has. */
  readonly policy?: PolicyDefinition<S>;
  register(settings: S, ctx: StageContext): Promise<void>;
  /** Whether the stage's hooks are a span of each request's trace with these settings (tracing on). Default: not traced. */
  readonly traced?: (settings: S) => boolean;
}

/** Declares a policy's stage. */
export function policyStage<S extends object>(policy: PolicyDefinition<S>, name: string, register: (settings: S, ctx: StageContext) => Promise<void>, traced?: (settings: S) => boolean): PipelineStage<S> {
  return { name, policy, register, ...(traced ? { traced } : {}) };
}
