import { unsafePathReason } from '../../shared/rest/path-safety';

describe('passthrough path safety', () => {
  it.each(['', '/', '/12', '/12/variants', '/12/', '/a%20b', '/caf%C3%A9', '/12?x=..%2f', '/v1.2'])('lets %s through', (rest) => {
    expect(unsafePathReason(rest)).toBeUndefined();
  });

  it.each([
    ['/..', 'dot'],
    ['/../admin', 'dot'],
    ['/%2e%2e/admin', 'dot'],
    ['/%2E%2E%2Fadmin', 'slash'],
    ['/..%2fadmin', 'slash'],
    ['/..%5cadmin', 'slash'],
    ['/12//admin', 'empty'],
    ['//admin', 'empty'],
    ['/%252e%252e/admin', 'double'],
    ['/a%00b', 'control'],
    ['/%zz', 'percent'],
    ['x', 'slash'],
  ])('refuses %s (%s)', (rest, reason) => {
    expect(unsafePathReason(rest)).toMatch(new RegExp(reason));
  });
});
