/**
 * The breaker slice of a BFF manifest (`policies.breakers`): options for every upstream
 * (`all`) and overrides per upstream name, each key bounded by the schema.
 */
import { Type } from '@sinclair/typebox';
import { DEFAULT_BREAKER_OPTIONS } from './breaker';

/** One upstream's breaker options; every key optional (unset keys take `all`, then the defaults). */
export const BreakerOptionsSchema = Type.Object(
  {
    errorThresholdPercentage: Type.Optional(Type.Number({ minimum: 1, maximum: 100, default: DEFAULT_BREAKER_OPTIONS.errorThresholdPercentage, description: 'Failure percentage in the rolling window that opens the circuit' })),
    volumeThreshold: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_BREAKER_OPTIONS.volumeThreshold, description: 'Fewest calls in the rolling window before the circuit may open' })),
    resetTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_BREAKER_OPTIONS.resetTimeoutMs, description: 'Time an open circuit waits before a trial call, in ms' })),
    rollingWindowMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_BREAKER_OPTIONS.rollingWindowMs, description: 'Length of the rolling statistics window, in ms' })),
    slowCallMs: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_BREAKER_OPTIONS.slowCallMs, description: 'A call longer than this counts as a failure (its answer is still returned), in ms' })),
    sustainedFailureMs: Type.Optional(
      Type.Integer({ minimum: 1, default: DEFAULT_BREAKER_OPTIONS.sustainedFailureMs, description: 'Below the volume minimum, failures (two or more, over the threshold percentage) lasting this long open the circuit, in ms' }),
    ),
  },
  { additionalProperties: false },
);

export const BreakerSettingsSchema = Type.Object(
  {
    all: Type.Optional(BreakerOptionsSchema),
    upstreams: Type.Optional(Type.Record(Type.String(), BreakerOptionsSchema)),
  },
  { additionalProperties: false },
);
