import { classifyUpstreamFailure, upstreamError } from '../../shared/upstream/upstream-errors';

const withCode = (code: string, cause?: unknown) => Object.assign(new Error(code), { code, cause });

describe('upstream failure mapping', () => {
  it.each(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])('treats %s as a timeout', (code) => {
    expect(classifyUpstreamFailure(withCode(code))).toBe('timeout');
  });

  it('finds a timeout wrapped in another error', () => {
    expect(classifyUpstreamFailure(withCode('FST_REPLY_FROM_INTERNAL_SERVER_ERROR', withCode('UND_ERR_HEADERS_TIMEOUT')))).toBe('timeout');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET'])('treats %s as unavailable', (code) => {
    expect(classifyUpstreamFailure(withCode(code))).toBe('unavailable');
  });

  it('names the upstream but not its address', () => {
    const err = upstreamError('orders', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4105'), { code: 'ECONNREFUSED' }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.statusCode).toBe(502);
    expect(err.message).toBe("Upstream 'orders' could not be reached.");
    const timeout = upstreamError('orders', withCode('UND_ERR_HEADERS_TIMEOUT'));
    expect([timeout.code, timeout.statusCode]).toEqual(['UPSTREAM_TIMEOUT', 504]);
  });
});
