import { toOrderDetailV1 } from '../../bffs/partner/versions/order-detail';

const order = {
  id: '7',
  customerId: '3',
  status: 'PAID',
  createdAt: '2026-01-02T03:04:05.000Z',
  items: [
    { productUpc: '1', quantity: 2, unitPriceCents: 1000 },
    { productUpc: '9', quantity: 1, unitPriceCents: 500 },
  ],
  totalCents: 2500,
};

describe('toOrderDetailV1', () => {
  it('joins customer, product and stock into the flat snake_case v1 body', () => {
    const body = toOrderDetailV1(
      order,
      { id: '3', username: 'ada', name: 'Ada L', email: 'ada@example.com' },
      [{ upc: '1', name: 'Chair', imageUrl: 'https://img/1.jpg' }, { upc: '9', name: 'Lamp', imageUrl: 'https://img/9.jpg' }],
      [{ upc: '1', inStock: true }, { upc: '9', inStock: false }],
    );
    expect(body).toEqual({
      order_id: '7',
      status: 'PAID',
      created_at: '2026-01-02T03:04:05.000Z',
      total_cents: 2500,
      customer_id: '3',
      customer_username: 'ada',
      customer_name: 'Ada L',
      customer_email: 'ada@example.com',
      items: [
        { upc: '1', product_name: 'Chair', image_url: 'https://img/1.jpg', in_stock: true, quantity: 2, unit_price_cents: 1000 },
        { upc: '9', product_name: 'Lamp', image_url: 'https://img/9.jpg', in_stock: false, quantity: 1, unit_price_cents: 500 },
      ],
    });
  });

  it('degrades missing joined records to nulls', () => {
    const body = toOrderDetailV1(order, undefined, [], []);
    expect(body.customer_name).toBeNull();
    expect(body.items[0]).toEqual({ upc: '1', product_name: null, image_url: null, in_stock: null, quantity: 2, unit_price_cents: 1000 });
  });
});
