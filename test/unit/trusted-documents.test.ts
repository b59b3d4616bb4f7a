/**
 * The trusted documents' pure core: the manifest formats client toolchains write, the checks
 * a manifest passes before it is kept, and which documents a request's client name opens.
 */
import { parse } from 'graphql';
import { apolloClientPrint, canonicalDocumentId, parseTrustedManifest, sha256Hex, type ClientManifest } from '../../shared/graphql/trusted-document-manifests';
import { createTrustedDocumentStore, resolveDocument, type TrustedDocument } from '../../shared/graphql/trusted-documents';
import { clientIdentityOf } from '../../shared/graphql/trusted-documents-hook';

const doc = (name: string, body = `query ${name} { me { id } }`): TrustedDocument => ({ id: sha256Hex(body), name, body });
const manifest = (client: string, version: string, ...operations: TrustedDocument[]): ClientManifest => ({ client, version, file: `${client}/${version}.json`, format: 'id-map', operations });

describe('reading manifests', () => {
  const body = 'query A { me { id } }';

  it("reads Apollo's manifest, an id map (Relay, GraphQL Code Generator) and sha256: keys", () => {
    expect(parseTrustedManifest(JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'abc', name: 'A', type: 'query', body }] }), 'm')).toEqual({
      format: 'apollo-persisted-query-manifest',
      operations: [{ id: 'abc', name: 'A', body }],
    });
    expect(parseTrustedManifest(JSON.stringify({ '0123abcd': body }), 'm').operations).toEqual([{ id: '0123abcd', name: 'A', body }]);
    expect(parseTrustedManifest(JSON.stringify({ [`sha256:${sha256Hex(body)}`]: body }), 'm').operations).toEqual([{ id: sha256Hex(body), name: 'A', body }]);
  });

  it('refuses, naming the file and the operation, what a request could later trip on', () => {
    const cases: Array<[string, string | RegExp, { maxManifestBytes: number; maxOperationsPerManifest: number }?]> = [
      ['not json', /^m: not JSON/],
      [JSON.stringify({ format: 'other' }), /^m: not a persisted-operation manifest/],
      [JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 2, operations: [] }), 'm: apollo-persisted-query-manifest version 2 is not supported (only 1)'],
      [JSON.stringify({}), 'm: the manifest has no operations'],
      [JSON.stringify({ 'a b': body }), /^m: operation #1: id "a b" is not a document id/],
      [JSON.stringify({ ['x'.repeat(129)]: body }), /^m: operation #1: id "x+" is not a document id/],
      [JSON.stringify({ 'sha256:abc': body }), /^m: operation #1: id "sha256:abc" is not a document id/],
      [JSON.stringify({ [`sha256:${'0'.repeat(64)}`]: body }), `m: operation #1: id ${'0'.repeat(64)} is not the sha256 of its document`],
      [JSON.stringify({ x: '{ me { id } }' }), 'm: operation #1: the operation has no name'],
      [JSON.stringify({ x: 'query A { me { id } } query B { me { id } }' }), 'm: operation #1: a document holds exactly one operation (found 2)'],
      [JSON.stringify({ x: 'query A {' }), /^m: operation #1: the document does not parse: Syntax Error/],
      [JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'x', name: 'A', body }, { id: 'x', name: 'B', body: 'query B { me { id } }' }] }), "m: operation 'B': id x names two different documents"],
      [JSON.stringify({ a: body, b: body }), 'm: 2 operations is over the limit of 1 per manifest', { maxManifestBytes: 1_000, maxOperationsPerManifest: 1 }],
      [JSON.stringify({ a: body }), /^m: \d+ bytes is over the 10-byte manifest limit$/, { maxManifestBytes: 10, maxOperationsPerManifest: 1 }],
    ];
    for (const [text, message, limits] of cases) expect(() => parseTrustedManifest(text, 'm', limits)).toThrow(message);
  });

  it('checks a document id before any lookup', () => {
    expect(canonicalDocumentId(`sha256:${'a'.repeat(64)}`)).toBe('a'.repeat(64));
    expect(canonicalDocumentId('relay-1.2_3~x')).toBe('relay-1.2_3~x');
    for (const bad of [12, null, '', 'x'.repeat(129), 'a/b', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`]) expect(canonicalDocumentId(bad)).toBeUndefined();
  });

  it('prints a document as Apollo Client sends it: __typename below the root, sorted definitions, no comments', () => {
    const printed = apolloClientPrint(parse('# comment\nquery Q { me { ...F orders { id __typename } } }\nfragment F on User { name }'));
    expect(printed).toBe('query Q {\n  me {\n    ...F\n    orders {\n      id\n      __typename\n    }\n    __typename\n  }\n}\n\nfragment F on User {\n  name\n  __typename\n}');
  });
});

describe('which documents a client opens', () => {
  const shared = doc('Shared');
  const ios51 = doc('Ios51');
  const ios52 = doc('Ios52');
  const android = doc('Android');
  const store = createTrustedDocumentStore([shared], [manifest('ios', '5.1.0', ios51), manifest('ios', '5.2.0', ios52), manifest('android', '1.0.0', android)]);
  const run = (id: string, client: { name?: string; version?: string }, s = store) => {
    const r = resolveDocument({ id }, client, s, true);
    return r.ok ? 'ok' : r.code;
  };

  it("gives a client its own manifests and Portico's, and another client's ids a code of their own", () => {
    expect(run(ios52.id, { name: 'ios' })).toBe('ok');
    expect(run(ios51.id, { name: 'ios' })).toBe('ok');
    expect(run(shared.id, { name: 'ios' })).toBe('ok');
    expect(run(android.id, { name: 'ios' })).toBe('PERSISTED_DOCUMENT_NOT_FOR_CLIENT');
    expect(run(sha256Hex('nothing'), { name: 'ios' })).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
  });

  it('narrows to one version when that version was imported, and to the whole client otherwise', () => {
    expect(run(ios51.id, { name: 'ios', version: '5.2.0' })).toBe('PERSISTED_DOCUMENT_NOT_FOR_CLIENT');
    expect(run(ios51.id, { name: 'ios', version: '9.9.9' })).toBe('ok');
  });

  it("gives an unknown client Portico's manifest only, or every manifest when allowed", () => {
    expect(run(shared.id, {})).toBe('ok');
    expect(run(ios52.id, {})).toBe('PERSISTED_DOCUMENT_NOT_FOR_CLIENT');
    expect(run(ios52.id, { name: 'web' })).toBe('PERSISTED_DOCUMENT_NOT_FOR_CLIENT');
    const open = createTrustedDocumentStore([shared], [manifest('ios', '5.2.0', ios52)], 'any');
    expect(run(ios52.id, { name: 'web' }, open)).toBe('ok');
  });

  it('refuses to serve one id meaning two documents', () => {
    const clash = { ...doc('Other', 'query Other { me { name } }'), id: ios52.id };
    expect(() => createTrustedDocumentStore([], [manifest('ios', '5.2.0', ios52), manifest('android', '2.0.0', clash)])).toThrow(`id ${ios52.id} means one document in ios/5.2.0.json and another in android/2.0.0.json`);
  });

  it('reads the client from Apollo client-awareness headers or x-client-name, and ignores a malformed or repeated one', () => {
    expect(clientIdentityOf({ 'apollographql-client-name': 'ios', 'apollographql-client-version': '5.2.0' })).toEqual({ name: 'ios', version: '5.2.0' });
    expect(clientIdentityOf({ 'x-client-name': 'relay-web' })).toEqual({ name: 'relay-web' });
    expect(clientIdentityOf({ 'apollographql-client-name': 'X'.repeat(65) })).toEqual({});
    expect(clientIdentityOf({ 'x-client-name': ['ios', 'android'] as unknown as string })).toEqual({});
  });
});
