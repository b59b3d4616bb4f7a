/**
 * JSON Schemas of partner v1's answers, for its OpenAPI document: the records the REST
 * services answer (passed through unchanged) and the order detail aggregate. The docs test
 * checks real answers against them.
 */
import type { PassthroughDocs } from '../../../shared/rest/route-table';

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const nullable = (type: string) => ({ type: [type, 'null'] }) as const;
const ORDER_STATUS = { type: 'string', enum: ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] } as const;

/** The services' list answer: one page of records with the paging that produced it. */
function restPage(record: object): object {
  return {
    type: 'object',
    required: ['items', 'total', 'offset', 'limit'],
    properties: { items: { type: 'array', items: record }, total: { ...integer, description: 'Records matching, over all pages.' }, offset: integer, limit: integer },
  };
}

/** The services' own errors, passed through: bad paging and unknown records. */
const READ_ERRORS = { '400': ['BAD_REQUEST'], '404': ['NOT_FOUND'] } as const;

const userRecord = {
  type: 'object',
  required: ['id', 'username', 'name'],
  properties: {
    id: string,
    username: string,
    name: string,
    email: { ...string, description: 'Only with the `customers:pii` scope.' },
    createdAt: { ...string, format: 'date-time', description: 'Sign-up time; only with the `customers:pii` scope.' },
  },
};

const productRecord = {
  type: 'object',
  required: ['upc', 'name', 'price', 'weight', 'description', 'category', 'imageUrl'],
  properties: { upc: string, name: string, price: { ...integer, description: 'Price in cents (USD).' }, weight: { ...integer, description: 'Weight in grams.' }, description: string, category: string, imageUrl: string },
};

const stockRecord = { type: 'object', required: ['upc', 'inStock', 'quantity'], properties: { upc: string, inStock: { type: 'boolean' }, quantity: integer } };

const reviewRecord = {
  type: 'object',
  required: ['id', 'body', 'rating', 'authorId', 'productUpc'],
  properties: { id: string, body: string, rating: { ...integer, minimum: 1, maximum: 5 }, authorId: string, productUpc: string },
};

const orderRecord = {
  type: 'object',
  required: ['id', 'customerId', 'status', 'createdAt', 'items', 'totalCents'],
  properties: {
    id: string,
    customerId: string,
    status: ORDER_STATUS,
    createdAt: { ...string, format: 'date-time' },
    items: { type: 'array', items: { type: 'object', required: ['productUpc', 'quantity', 'unitPriceCents'], properties: { productUpc: string, quantity: integer, unitPriceCents: integer } } },
    totalCents: integer,
  },
};

const newOrder = {
  type: 'object',
  additionalProperties: false,
  required: ['customerId', 'items'],
  properties: {
    customerId: { type: 'string', minLength: 1, maxLength: 64 },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: { type: 'object', additionalProperties: false, required: ['productUpc', 'quantity'], properties: { productUpc: { type: 'string', minLength: 1, maxLength: 64 }, quantity: { type: 'integer', minimum: 1, maximum: 1000 } } },
    },
  },
};

const ids = (description: string) => ({ type: 'string', description });

export const usersDocs: PassthroughDocs = { record: userRecord, list: restPage(userRecord), listQuery: { ids: ids('Comma-separated user ids (at most 100).') }, upstreamErrors: READ_ERRORS };
export const productsDocs: PassthroughDocs = {
  record: productRecord,
  list: restPage(productRecord),
  listQuery: { upcs: ids('Comma-separated UPCs (at most 100).'), category: { type: 'string' } },
  upstreamErrors: READ_ERRORS,
};
export const inventoryDocs: PassthroughDocs = { record: stockRecord, list: restPage(stockRecord), listQuery: { upcs: ids('Comma-separated UPCs (at most 100).') }, upstreamErrors: READ_ERRORS };
export const reviewsDocs: PassthroughDocs = { record: reviewRecord, list: restPage(reviewRecord), listQuery: { productUpc: { type: 'string' }, authorId: { type: 'string' } }, upstreamErrors: READ_ERRORS };
export const ordersReadDocs: PassthroughDocs = {
  record: orderRecord,
  list: restPage(orderRecord),
  listQuery: { customerId: { type: 'string', description: 'One customer\'s orders, most recent first.' } },
  upstreamErrors: { ...READ_ERRORS, '403': ['FORBIDDEN'] },
};
export const ordersWriteDocs: PassthroughDocs = {
  record: orderRecord,
  createBody: newOrder,
  upstreamErrors: { '400': ['VALIDATION_FAILED'], '422': ['UNKNOWN_CUSTOMER', 'UNKNOWN_PRODUCT', 'DUPLICATE_ITEM'] },
};

/** `GET /v1/orders/:id`: flat, snake_case; joined fields are null when their record is missing. */
export const orderDetailV1Schema = {
  type: 'object',
  required: ['order_id', 'status', 'created_at', 'total_cents', 'customer_id', 'customer_username', 'customer_name', 'customer_email', 'items'],
  properties: {
    order_id: string,
    status: ORDER_STATUS,
    created_at: { ...string, format: 'date-time' },
    total_cents: integer,
    customer_id: string,
    customer_username: nullable('string'),
    customer_name: nullable('string'),
    customer_email: { ...nullable('string'), description: 'Only with the `customers:pii` scope; null otherwise.' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['upc', 'product_name', 'image_url', 'in_stock', 'quantity', 'unit_price_cents'],
        properties: { upc: string, product_name: nullable('string'), image_url: nullable('string'), in_stock: nullable('boolean'), quantity: integer, unit_price_cents: integer },
      },
    },
  },
} as const;
