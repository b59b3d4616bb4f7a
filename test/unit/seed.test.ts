import { DEFAULT_SIZES, addOrder, createDemoData, orderTotal } from '../../supergraph/subgraphs/seed';

describe('demo seed data', () => {
  it('is identical for the same seed and different for another', () => {
    expect(JSON.stringify(createDemoData().reviews)).toBe(JSON.stringify(createDemoData().reviews));
    expect(JSON.stringify(createDemoData(7).products)).not.toBe(JSON.stringify(createDemoData().products));
  });

  it('has the documented sizes, large enough for list queries of dozens', () => {
    const data = createDemoData();
    expect(data.users).toHaveLength(DEFAULT_SIZES.users);
    expect(data.products).toHaveLength(DEFAULT_SIZES.products);
    expect(data.stock).toHaveLength(DEFAULT_SIZES.products);
    expect(data.reviews).toHaveLength(DEFAULT_SIZES.reviews);
    expect(data.orders).toHaveLength(DEFAULT_SIZES.orders);
  });

  it('gives every user two reviews and an order, and every product three reviews', () => {
    const data = createDemoData();
    for (const user of data.users) {
      expect(data.reviewsByAuthor.get(user.id)?.length).toBeGreaterThanOrEqual(2);
      expect(data.ordersByCustomer.get(user.id)?.length).toBeGreaterThanOrEqual(1);
    }
    for (const product of data.products) expect(data.reviewsByProduct.get(product.upc)?.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps every reference valid and every order total consistent', () => {
    const data = createDemoData();
    for (const review of data.reviews) {
      expect(data.userById.has(review.authorId)).toBe(true);
      expect(data.productByUpc.has(review.productUpc)).toBe(true);
      expect(review.rating).toBeGreaterThanOrEqual(1);
      expect(review.rating).toBeLessThanOrEqual(5);
    }
    for (const order of data.orders) {
      expect(order.items.length).toBeGreaterThanOrEqual(1);
      expect(new Set(order.items.map((i) => i.productUpc)).size).toBe(order.items.length);
      expect(order.totalCents).toBe(orderTotal(order.items));
      for (const item of order.items) expect(item.unitPriceCents).toBe(data.productByUpc.get(item.productUpc)?.price);
    }
  });

  it('includes products on both sides of the free-shipping threshold, in and out of stock', () => {
    const data = createDemoData();
    expect(data.products.some((p) => p.price > 100_000)).toBe(true);
    expect(data.products.some((p) => p.price <= 100_000)).toBe(true);
    expect(data.stock.some((s) => !s.inStock && s.quantity === 0)).toBe(true);
    expect(data.stock.some((s) => s.inStock && s.quantity > 0)).toBe(true);
  });

  it('lists a customer orders most recent first, including new ones', () => {
    const data = createDemoData();
    const created = addOrder(data, { customerId: '3', status: 'PENDING', createdAt: '2099-01-01T00:00:00.000Z', items: [], totalCents: 0 });
    expect(created.id).toBe(String(DEFAULT_SIZES.orders + 1));
    const list = data.ordersByCustomer.get('3') ?? [];
    expect(list[0]).toBe(created);
    const dates = list.map((o) => o.createdAt);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(createDemoData().orderById.has(created.id)).toBe(false);
  });
});
