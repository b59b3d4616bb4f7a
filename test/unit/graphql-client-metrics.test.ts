/**
 * The per-client GraphQL metrics' bounds, on a real registry: the combination cap keeps
 * client and version and folds the operation, error codes are checked and capped, error
 * statuses without a code are counted by status, and registered operations are never folded.
 */
import { createGraphqlClientMetrics } from '../../shared/observability/graphql-client-metrics';
import { createMetrics } from '../../shared/observability/metrics';
import { metricValue } from '../helpers/metrics';

function setUp(limits: Parameters<typeof createGraphqlClientMetrics>[2], registered: string[] = []) {
  const metrics = createMetrics({ bff: 'web', collectDefaultMetrics: false });
  return { metrics, recorder: createGraphqlClientMetrics(metrics, registered, limits), text: () => metrics.registry.metrics() };
}

const ios = (version: string) => ({ 'apollographql-client-name': 'ios', 'apollographql-client-version': version });
const ok = (operation: string) => ({ operation, errorCode: undefined });

describe('per-client GraphQL metrics bounds', () => {
  it('past maxSeries, a new combination keeps its client and version under operation __other', async () => {
    const { recorder, text } = setUp({ maxSeries: 2 });
    recorder.record(ios('1'), ok('A'), 200, 0.01);
    recorder.record(ios('1'), ok('B'), 200, 0.01);
    recorder.record(ios('1'), ok('C'), 200, 0.01);
    recorder.record(ios('2'), ok('A'), 200, 0.01);
    recorder.record(ios('1'), ok('A'), 200, 0.01);
    const out = await text();
    const value = (operation: string, version: string) => metricValue(out, 'portico_graphql_operation_requests_total', { operation, client_name: 'ios', client_version: version });
    expect(value('A', '1')).toBe(2);
    expect(value('B', '1')).toBe(1);
    expect(value('C', '1')).toBeUndefined();
    expect(value('__other', '1')).toBe(1);
    expect(value('__other', '2')).toBe(1);
  });

  it('keeps registered operations whatever the operation cap, and folds long names', async () => {
    const { recorder, text } = setUp({ maxOperations: 1 }, ['Registered']);
    recorder.record({}, ok('First'), 200, 0.01);
    recorder.record({}, ok('Second'), 200, 0.01);
    recorder.record({}, ok('Registered'), 200, 0.01);
    const { recorder: other, text: otherText } = setUp({});
    other.record({}, ok('L'.repeat(200)), 200, 0.01);
    const out = await text();
    const value = (operation: string) => metricValue(out, 'portico_graphql_operation_requests_total', { operation, client_name: '__none', client_version: '__none' });
    expect([value('First'), value('Second'), value('Registered'), value('__other')]).toEqual([1, undefined, 1, 1]);
    expect(metricValue(await otherText(), 'portico_graphql_operation_requests_total', { operation: '__other' })).toBe(1);
  });

  it('counts errors by a checked, capped code, and error statuses without one by status', async () => {
    const { recorder, text } = setUp({ maxErrorCodes: 2 });
    recorder.record(ios('1'), { operation: 'A', errorCode: 'UPSTREAM_TIMEOUT' }, 200, 0.01);
    recorder.record(ios('1'), { operation: 'A', errorCode: 'bad code"}' }, 200, 0.01);
    recorder.record(ios('1'), { operation: 'A', errorCode: 'FORBIDDEN' }, 200, 0.01);
    recorder.record(ios('1'), { operation: 'A', errorCode: 'THIRD_CODE' }, 200, 0.01);
    recorder.record(ios('1'), { operation: undefined, errorCode: undefined }, 400, 0.01);
    recorder.record(ios('1'), ok('A'), 200, 0.01);
    const out = await text();
    const errors = (operation: string, code: string) => metricValue(out, 'portico_graphql_operation_errors_total', { operation, client_name: 'ios', client_version: '1', code });
    expect(errors('A', 'UPSTREAM_TIMEOUT')).toBe(1);
    expect(errors('A', 'FORBIDDEN')).toBe(1);
    expect(errors('A', '__other')).toBe(2);
    // Status labels are not among the capped codes' slots: the codes' cap is already full here.
    expect(errors('__unresolved', 'HTTP_400')).toBe(1);
    expect(metricValue(out, 'portico_graphql_operation_requests_total', { operation: 'A', client_name: 'ios', client_version: '1' })).toBe(5);
    expect(out).not.toContain('bad code');
  });

  it('records nothing for requests that run no operation', async () => {
    const { recorder, text } = setUp({});
    recorder.record({}, { operation: undefined, errorCode: undefined, untracked: true }, 200, 0.01);
    expect(await text()).not.toContain('portico_graphql_operation_requests_total{');
  });
});
