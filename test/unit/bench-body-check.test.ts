/**
 * The bench's body check: a contestant's first response must have the baseline's bytes,
 * less the one difference the contestant declares.
 */
import { bodyDifference, type FetchedResponse } from '../bench/load';

function response(text: string): FetchedResponse {
  return { status: 200, bytes: Buffer.byteLength(text), text, json: JSON.parse(text) as unknown };
}

const baseline = response('{"data":{"topProducts":[{"name":"Kettle","price":499}]}}\n');

describe('bench body check', () => {
  it('accepts the same bytes', () => {
    expect(bodyDifference(response(baseline.text), baseline)).toBeUndefined();
  });

  it('locates a different JSON value by path', () => {
    expect(bodyDifference(response('{"data":{"topProducts":[{"name":"Kettle","price":500}]}}\n'), baseline)).toBe("response differs from the baseline's at $.data.topProducts[0].price");
  });

  it('refuses the same JSON value with its keys in another order, naming the first differing character', () => {
    const difference = bodyDifference(response('{"data":{"topProducts":[{"price":499,"name":"Kettle"}]}}\n'), baseline);
    expect(difference).toMatch(/^response has the baseline's JSON value in other bytes from character 26: /);
    expect(difference).toContain('price');
  });

  it('refuses a body without the final newline unless the contestant declares it', () => {
    const withoutNewline = response(baseline.text.trimEnd());
    expect(bodyDifference(withoutNewline, baseline)).toMatch(/in other bytes from character 56/);
    expect(bodyDifference(withoutNewline, baseline, 'no-final-newline')).toBeUndefined();
  });

  it('excuses nothing else under the no-final-newline allowance', () => {
    expect(bodyDifference(response('{"data":{"topProducts":[{"price":499,"name":"Kettle"}]}}'), baseline, 'no-final-newline')).toMatch(/in other bytes/);
    expect(bodyDifference(response('{"data":{"topProducts":[{"name":"Kettle","price":499}]}} '), baseline, 'no-final-newline')).toMatch(/in other bytes/);
  });
});
