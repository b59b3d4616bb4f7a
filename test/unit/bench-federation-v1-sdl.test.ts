/**
 * The demo subgraphs' schemas in federation v1's dialect, for the bench's Mercurius gateway
 * contestant. That Mercurius composes them and answers the bench's queries with the
 * baseline's bytes is proven by the bench's smoke run (bench-smoke.test.ts): Mercurius
 * loads an ES-module-only dependency that Jest cannot require on Node 20.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { federationV1Sdls } from '../bench/federation-v1-sdl';

const SUBGRAPH_DIR = path.resolve(__dirname, '../../supergraph/subgraphs');

function demoV1Sdls() {
  return federationV1Sdls(SUBGRAPH_NAMES.map((name) => ({ name, sdl: readFileSync(path.join(SUBGRAPH_DIR, name, 'schema.graphql'), 'utf8') })));
}

function sdlOf(name: string): string {
  const found = demoV1Sdls().find((s) => s.name === name);
  if (!found) throw new Error(`no subgraph ${name}`);
  return found.sdl;
}

describe('federation v1 SDL of the demo subgraphs', () => {
  it('keeps the first defining subgraph as the owner and extends the entity elsewhere, key fields external', () => {
    expect(sdlOf('accounts')).toMatch(/^type User @key\(fields: "id"\) \{\n {2}id: ID!\n/m);
    expect(sdlOf('reviews')).toMatch(/^extend type User @key\(fields: "id"\) \{\n {2}id: ID! @external\n/m);
    expect(sdlOf('inventory')).toMatch(/^extend type Product @key\(fields: "upc"\) \{\n {2}upc: String! @external\n {2}price: Int @external\n/m);
    expect(sdlOf('reviews')).toMatch(/^type Review @key\(fields: "id"\)/m);
  });

  it('extends the root type in every subgraph', () => {
    for (const { name, sdl } of demoV1Sdls()) {
      if (/\bQuery\b/.test(sdl)) expect({ name, defines: /^type Query\b/m.test(sdl), extends: /^extend type Query\b/m.test(sdl) }).toEqual({ name, defines: false, extends: true });
    }
  });

  it('leaves out what federation v1 does not know: links, v2 and authorization directives, non-resolvable keys', () => {
    const all = demoV1Sdls()
      .map((s) => s.sdl)
      .join('\n');
    for (const gone of ['@link', 'extend schema', '@shareable', '@tag', '@authenticated', '@requiresScopes', '@policy', 'resolvable']) expect({ gone, found: all.includes(gone) }).toEqual({ gone, found: false });
    expect(sdlOf('orders')).toMatch(/^extend type Product @key\(fields: "upc"\) \{\n {2}upc: String! @external\n\}/m);
  });
});
