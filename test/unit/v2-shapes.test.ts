import { decodeCursor, encodeCursor, money, pageOf, toOrderV2, toProductV2 } from '../../bffs/partner/versions/v2-shapes';

describe('partner v2 shapes', () => {
  it('round-trips cursors and refuses foreign ones', () => {
    expect(decodeCursor(encodeCursor(40))).toBe(40);
    for (const bad of ['', 'abc', Buffer.from('{"o":-1}').toString('base64url'), Buffer.from('{"o":"5"}').toString('base64url')]) expect(decodeCursor(bad)).toBeUndefined();
  });

  it('pages with a next cursor until the end', () => {
    expect(pageOf(0, 20, 45)).toEqual({ limit: 20, nextCursor: encodeCursor(20) });
    expect(pageOf(40, 20, 45)).toEqual({ limit: 20, nextCursor: null });
  });

  it('nests money, stock and the customer', () => {
    expect(toProductV2({ upc: '1', name: 'Lamp', category: 'home', imageUrl: 'i', price: 1999 }, { upc: '1', inStock: true, quantity: 3 })).toEqual({
      upc: '1',
      name: 'Lamp',
      category: 'home',
      imageUrl: 'i',
      price: { amountCents: 1999, currency: 'USD' },
      stock: { inStock: true, quantity: 3 },
    });
    const order = toOrderV2(
      { id: '9', customerId: '2', status: 'PAID', createdAt: 't', totalCents: 500, items: [{ productUpc: '1', quantity: 2, unitPriceCents: 250 }] },
      { id: '2', username: 'u2', name: 'U Two', email: 'e' },
      () => ({ upc: '1', name: 'Lamp', imageUrl: 'i' }),
      () => undefined,
    );
    expect(order).toEqual({
      id: '9',
      status: 'PAID',
      createdAt: 't',
      total: money(500),
      customer: { id: '2', username: 'u2', name: 'U Two' },
      items: [{ quantity: 2, unitPrice: money(250), product: { upc: '1', name: 'Lamp', imageUrl: 'i', inStock: null } }],
    });
  });
});
