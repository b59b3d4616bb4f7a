import { ERROR_CATALOGUE, PorticoError, errorBody, toPorticoError } from '../../shared/errors';

describe('error catalogue', () => {
  it('gives every code a 4xx or 5xx status and a message', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(entry.statusCode).toBeGreaterThanOrEqual(400);
      expect(entry.statusCode).toBeLessThan(600);
      expect(entry.message.length).toBeGreaterThan(0);
      expect(code).toMatch(/^[A-Z_]+$/);
    }
  });

  it('builds the REST body with status text and request id, never the cause', () => {
    const err = new PorticoError('UPSTREAM_TIMEOUT', undefined, { cause: new Error('connect to 10.0.0.7:4101 timed out') });
    const body = errorBody(err, 'req-1');
    expect(body).toEqual({ statusCode: 504, code: 'UPSTREAM_TIMEOUT', error: 'Gateway Timeout', message: ERROR_CATALOGUE.UPSTREAM_TIMEOUT.message, requestId: 'req-1' });
    expect(JSON.stringify(body)).not.toContain('10.0.0.7');
  });
});

describe('toPorticoError', () => {
  it('keeps Portico errors as they are', () => {
    const err = new PorticoError('NOT_READY');
    expect(toPorticoError(err)).toBe(err);
  });

  it.each([
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'INVALID_JSON'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'INVALID_JSON'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'PAYLOAD_TOO_LARGE'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('maps Fastify %s to %i %s', (fastifyCode, status, code) => {
    const mapped = toPorticoError(Object.assign(new Error('x'), { code: fastifyCode, statusCode: status }));
    expect(mapped.code).toBe(code);
    expect(mapped.statusCode).toBe(status);
  });

  it('maps schema validation failures to VALIDATION_FAILED with the field message', () => {
    const mapped = toPorticoError(Object.assign(new Error('body/quantity must be integer'), { validation: [{}], statusCode: 400 }));
    expect(mapped.code).toBe('VALIDATION_FAILED');
    expect(mapped.message).toBe('body/quantity must be integer');
  });

  it('hides unexpected errors behind INTERNAL_ERROR', () => {
    const mapped = toPorticoError(new TypeError("Cannot read properties of undefined (reading 'secret')"));
    expect(mapped.code).toBe('INTERNAL_ERROR');
    expect(mapped.statusCode).toBe(500);
    expect(mapped.message).not.toContain('secret');
  });
});
