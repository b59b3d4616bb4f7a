import { GraphQLError } from 'graphql';
import { createContentTypeChooser, directRequestOf, directResponseOf, isJsonContentType, ResponseCachePolicy } from '../../shared/graphql/direct-execution';
import { formatClientError } from '../../shared/graphql/format-error';

describe('directRequestOf', () => {
  it('reads the bodies Apollo Server reads as they are', () => {
    expect(directRequestOf({ query: '{ a }' })).toEqual({ query: '{ a }', operationName: undefined, variables: undefined });
    expect(directRequestOf({ query: '{ a }', operationName: null, variables: null, extensions: null })).toEqual({ query: '{ a }', operationName: undefined, variables: undefined });
    expect(directRequestOf({ query: 'query A { a }', operationName: 'A', variables: { n: 1 }, extensions: { clientLibrary: { name: 'x' } } })).toEqual({
      query: 'query A { a }',
      operationName: 'A',
      variables: { n: 1 },
    });
  });

  it.each([
    ['no body', undefined],
    ['an array (a batch)', [{ query: '{ a }' }]],
    ['an empty query', { query: '' }],
    ['a query that is not text', { query: { kind: 'Document' } }],
    ['an empty operation name', { query: '{ a }', operationName: '' }],
    ['an operation name that is no GraphQL name', { query: '{ a }', operationName: 'a b' }],
    ['variables as a string', { query: '{ a }', variables: '{}' }],
    ['variables as an array', { query: '{ a }', variables: [] }],
    ['a persisted query', { query: '{ a }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }],
    ['extensions as a string', { query: '{ a }', extensions: '{}' }],
  ])('leaves %s to Apollo Server', (_name, body) => {
    expect(directRequestOf(body)).toBeUndefined();
  });
});

describe('isJsonContentType', () => {
  it('accepts JSON only, parameters and case aside', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType('application/json-patch+json')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});

describe('createContentTypeChooser', () => {
  it("chooses as Apollo Server does, and remembers a bounded number of headers", () => {
    const choose = createContentTypeChooser();
    expect(choose(undefined)).toBe('application/json; charset=utf-8');
    expect(choose('application/graphql-response+json')).toBe('application/graphql-response+json; charset=utf-8');
    expect(choose('*/*')).toBe('application/json; charset=utf-8');
    expect(choose('text/html')).toBeNull();
    // Past the remembered headers, each is still answered (only not kept).
    for (let i = 0; i < 100; i++) expect(choose(`application/json;q=0.${i % 9 + 1}, x/y${i}`)).toBe('application/json; charset=utf-8');
  });
});

describe('ResponseCachePolicy', () => {
  it('is cacheable only when every subgraph said so, for the shortest time and the narrowest scope', () => {
    const policy = new ResponseCachePolicy();
    expect(policy.header(false)).toBe('no-store');
    policy.restrict({ maxAge: 60, scope: 'PUBLIC' });
    expect(policy.header(false)).toBe('max-age=60, public');
    policy.restrict({ maxAge: 10, scope: 'PRIVATE' });
    policy.restrict({ maxAge: 30, scope: 'PUBLIC' });
    expect(policy.header(false)).toBe('max-age=10, private');
    expect(policy.header(true)).toBe('no-store');
    policy.restrict({ maxAge: 0 });
    expect(policy.header(false)).toBe('no-store');
  });
});

describe('directResponseOf', () => {
  const options = { contentType: 'application/json; charset=utf-8', requestId: 'r1', cachePolicy: new ResponseCachePolicy(), formatError: formatClientError };

  it("writes data as Apollo Server does: its field order and trailing newline", () => {
    expect(directResponseOf({ data: { a: 1 } }, options)).toEqual({
      status: 200,
      headers: [
        ['content-type', 'application/json; charset=utf-8'],
        ['cache-control', 'no-store'],
      ],
      body: '{"data":{"a":1}}\n',
    });
  });

  it('normalises errors: a code on each, the request id, the allowed extensions only, 400 when there is no data', () => {
    const response = directResponseOf({ errors: [new GraphQLError('boom', { extensions: { secret: 'x', subgraph: 'reviews' } }), new Error('raw')] }, options);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      errors: [
        { message: 'boom', extensions: { subgraph: 'reviews', code: 'INTERNAL_SERVER_ERROR', requestId: 'r1' } },
        { message: 'raw', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'r1' } },
      ],
    });
  });

  it("turns an error's http extension into the status and headers, and never shows it", () => {
    const error = new GraphQLError('slow down', { extensions: { code: 'RATE_LIMITED', http: { status: 429, headers: new Map([['Retry-After', '3']]) } } });
    const response = directResponseOf({ data: null, errors: [error] }, options);
    expect(response.status).toBe(429);
    expect(response.headers).toContainEqual(['retry-after', '3']);
    expect(response.body).not.toContain('http');
  });

  it('answers an error that cannot be formatted as an internal error, not a crash', () => {
    const response = directResponseOf({ data: { a: null }, errors: [new GraphQLError('x')] }, { ...options, formatError: () => { throw new Error('formatter bug'); } });
    expect(JSON.parse(response.body).errors).toEqual([{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'r1' } }]);
    expect(response.status).toBe(200);
  });
});

describe('directResponseOf, an execution that threw', () => {
  it('answers 500 with the error, as Apollo Server answers a throwing execution', () => {
    const response = directResponseOf({ errors: [new Error('executor bug')] }, { contentType: 'application/json; charset=utf-8', requestId: 'r2', cachePolicy: new ResponseCachePolicy(), formatError: formatClientError, statusWithoutData: 500 });
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ errors: [{ message: 'executor bug', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'r2' } }] });
  });
});
