import { isSafePlainRest, PLAIN_PATH, unsafePathReason } from '../../shared/rest/path-safety';

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

describe('the fast check for plain paths', () => {
  // Every short rest made of the characters that matter (slash, dot, a letter) and a few
  // others a plain path may hold: the fast check and the full one agree on each.
  const alphabet = ['/', '.', 'a', '~', ':', '@'];
  const rests: string[] = [''];
  for (let length = 1; length <= 6; length++) {
    const previous = rests.filter((r) => r.length === length - 1);
    for (const r of previous) for (const c of alphabet) rests.push(r + c);
  }

  it.each([
    ['/', true],
    ['/1', true],
    ['/a/b/', true],
    ['/.well-known/x', true],
    ['/a..b/c', true],
    ['//', false],
    ['/a//b', false],
    ['/./a', false],
    ['/a/..', false],
    ['a', false],
  ])('%s: safe %s', (rest, safe) => {
    expect(isSafePlainRest(rest)).toBe(safe);
  });

  it(`agrees with the full check on all ${rests.length} plain rests up to 6 characters`, () => {
    const disagreements = rests.filter((rest) => PLAIN_PATH.test(`/p${rest}`) && isSafePlainRest(rest) !== (unsafePathReason(rest) === undefined));
    expect(disagreements).toEqual([]);
  });
});
