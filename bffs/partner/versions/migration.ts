/**
 * What changed from partner v1 to v2, route by route. The table is declarative and the
 * notes are generated from it; test/integration/partner-docs.test.ts checks it against the
 * route tables' OpenAPI documents (every v1 operation listed, every v2 operation it names
 * served), so the notes cannot miss a route.
 */

export interface RouteMigration {
  /** The v1 operation, `"<METHOD> <OpenAPI path>"`. */
  v1: string;
  /** Its v2 counterpart, or null where v2 has none yet. */
  v2: string | null;
  /** What changes for a caller moving over. */
  changes: string;
}

export const V1_TO_V2: readonly RouteMigration[] = [
  { v1: 'GET /v1/users', v2: null, changes: 'v2 lists no customers; fetch a known customer with `GET /v2/customers/{id}`.' },
  {
    v1: 'GET /v1/users/{id}',
    v2: 'GET /v2/customers/{id}',
    changes: 'Adds the customer\'s reviews and five most recent orders; needs `customers:read` and `orders:read`; `email` and `createdAt` are not returned.',
  },
  { v1: 'GET /v1/products', v2: 'GET /v2/products', changes: 'Cursor paging; `price` is money; each product carries its `stock`; `weight` and `description` are gone; no `upcs`/`category` filters.' },
  { v1: 'GET /v1/products/{id}', v2: 'GET /v2/products/{upc}', changes: '`price` is money and the product carries its `stock`.' },
  { v1: 'GET /v1/inventory', v2: 'GET /v2/products', changes: 'Stock is each product\'s `stock` (`inStock`, `quantity`).' },
  { v1: 'GET /v1/inventory/{id}', v2: 'GET /v2/products/{upc}', changes: 'Stock is the product\'s `stock` (null when unknown).' },
  { v1: 'GET /v1/reviews', v2: 'GET /v2/customers/{id}', changes: 'Reviews are read per customer (`reviews`); v2 has no list of every review.' },
  { v1: 'GET /v1/reviews/{id}', v2: null, changes: 'No single-review route in v2; a customer\'s reviews come with `GET /v2/customers/{id}`.' },
  { v1: 'GET /v1/orders', v2: 'GET /v2/customers/{id}/orders', changes: 'The `customerId` query becomes the path; cursor paging; each item carries its product and stock.' },
  { v1: 'POST /v1/orders', v2: null, changes: 'v2 does not place orders yet: keep this call on v1 until v2 offers it.' },
  { v1: 'GET /v1/orders/{id}', v2: 'GET /v2/orders/{id}', changes: 'Nested: `customer { id, username, name }`, items with `product { upc, name, imageUrl, inStock }` and `unitPrice` as money; `customer_email` is gone.' },
];

const code = (text: string) => `\`${text}\``;

/** Pure: the migration notes, Markdown. */
export function migrationNotes(table: readonly RouteMigration[]): string {
  const rows = table.map((m) => `| ${code(m.v1)} | ${m.v2 ? code(m.v2) : 'none yet'} | ${m.changes} |`);
  return [
    '# Migrating from partner API v1 to v2',
    '',
    'Every v1 answer carries `Deprecation`, `Sunset` and `Link: </v2>; rel="successor-version"`. Credentials, scopes, rate limits and the error body are the same in both versions.',
    '',
    '## What changed everywhere',
    '',
    '- Field names are camelCase (`createdAt`, not `created_at`) and related records are nested objects, not flattened fields.',
    '- Money is `{ "amountCents": 1999, "currency": "USD" }` instead of a bare number of cents.',
    '- Lists are cursor-paged: send `limit` (1-100, default 20) and then `cursor` set to the previous answer\'s `page.nextCursor`; answers are `{ data, page: { limit, nextCursor } }` instead of `{ items, total, offset, limit }`. Unknown query parameters are refused with 400 `VALIDATION_FAILED`.',
    '- Ids in paths are validated (digits, up to 12); anything else is 400 `VALIDATION_FAILED`.',
    '',
    '## Route by route',
    '',
    '| v1 | v2 | What changes |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

export const migrationNotesV1ToV2 = migrationNotes(V1_TO_V2);
