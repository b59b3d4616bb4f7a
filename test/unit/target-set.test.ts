/**
 * The pure core of multi-target upstreams: weighted and sticky target choice, the
 * override allow list, balancing within a target, health thresholds and outlier ejection.
 */
import { routingInputFor } from '../../shared/request-context';
import { hash32, mayOverride, overrideTargetFor, pickByWeight, stickyPoint, TargetSet, type Endpoint, type TargetSetOptions } from '../../shared/upstream/target-set';

const BASE: TargetSetOptions = {
  upstream: 'orders',
  targets: [
    { name: 'stable', weight: 90 },
    { name: 'canary', weight: 10 },
  ],
  balancing: 'round-robin',
  thresholds: { healthyThreshold: 2, unhealthyThreshold: 3 },
  outlierDetection: { consecutiveFailures: 3, ejectionMs: 1_000 },
};

function canarySet(options: Partial<TargetSetOptions> = {}): TargetSet {
  const set = new TargetSet({ ...BASE, ...options });
  set.setEndpoints('stable', ['http://s1:1', 'http://s2:1', 'http://s3:1']);
  set.setEndpoints('canary', ['http://c1:1']);
  return set;
}

/** A deterministic random sequence, so anonymous spreads are checked without flakiness. */
function seededRandom(seed = 42): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

describe('weighted choice', () => {
  it('spreads 2,000 distinct users 90/10 within two percent', () => {
    const set = canarySet();
    let canary = 0;
    for (let i = 0; i < 2_000; i++) if (set.choose({ userId: `user-${i}` }, 0)?.target === 'canary') canary += 1;
    expect(canary / 2_000).toBeGreaterThan(0.08);
    expect(canary / 2_000).toBeLessThan(0.12);
  });

  it('spreads anonymous calls by weight', () => {
    const set = canarySet();
    const random = seededRandom();
    let canary = 0;
    for (let i = 0; i < 2_000; i++) if (set.choose({}, 0, random)?.target === 'canary') canary += 1;
    expect(canary / 2_000).toBeGreaterThan(0.08);
    expect(canary / 2_000).toBeLessThan(0.12);
  });

  it('keeps a user on one target, whatever the random source says', () => {
    const set = canarySet();
    const random = seededRandom(7);
    for (let u = 0; u < 50; u++) {
      const targets = new Set(Array.from({ length: 20 }, () => set.choose({ userId: `u${u}` }, 0, random)?.target));
      expect(targets.size).toBe(1);
    }
  });

  it('keys stickiness by user id first, then client id', () => {
    const set = canarySet();
    expect(set.choose({ userId: 'a', clientId: 'x' }, 0)?.target).toBe(set.choose({ userId: 'a', clientId: 'y' }, 0)?.target);
  });

  it('moves only the users next to the canary share when its weight grows', () => {
    const before = canarySet();
    const after = canarySet({ targets: [{ name: 'stable', weight: 80 }, { name: 'canary', weight: 20 }] });
    for (let i = 0; i < 500; i++) {
      if (before.choose({ userId: `user-${i}` }, 0)?.target === 'canary') expect(after.choose({ userId: `user-${i}` }, 0)?.target).toBe('canary');
    }
  });

  it('places points by weight and never on a zero-weight target', () => {
    const targets = [{ name: 'a', weight: 1 }, { name: 'dark', weight: 0 }, { name: 'b', weight: 3 }];
    expect(pickByWeight(targets, 0)?.name).toBe('a');
    expect(pickByWeight(targets, 0.24)?.name).toBe('a');
    expect(pickByWeight(targets, 0.25)?.name).toBe('b');
    expect(pickByWeight(targets, 0.999999)?.name).toBe('b');
    expect(pickByWeight([{ name: 'dark', weight: 0 }], 0.5)).toBeUndefined();
  });

  it('hashes into [0, 1) and differs per upstream', () => {
    for (let i = 0; i < 1_000; i++) {
      const p = stickyPoint(`user:${i}`, 'orders');
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
    }
    expect(hash32('orders\u0000user:1')).not.toBe(hash32('products\u0000user:1'));
  });
});

describe('override header', () => {
  const allow = { clientIds: ['qa-bot'], userIds: ['alice'], scopes: ['canary:choose'] };

  it('is honoured only for principals on the allow list', () => {
    const set = canarySet({ overrideAllowed: allow });
    const stableUser = Array.from({ length: 100 }, (_, i) => `user-${i}`).find((u) => set.choose({ userId: u }, 0)?.target === 'stable') as string;
    expect(set.choose({ userId: stableUser, override: 'canary' }, 0)?.target).toBe('stable');
    expect(set.choose({ userId: 'alice', override: 'canary' }, 0)?.target).toBe('canary');
    expect(set.choose({ clientId: 'qa-bot', override: 'canary' }, 0)?.target).toBe('canary');
    expect(set.choose({ userId: stableUser, scopes: ['read', 'canary:choose'], override: 'canary' }, 0)?.target).toBe('canary');
  });

  it('is ignored for everyone without an allow list, and for anonymous callers', () => {
    expect(mayOverride({ userId: 'alice' }, undefined)).toBe(false);
    expect(mayOverride({}, allow)).toBe(false);
    expect(mayOverride({ clientId: 'other', scopes: ['read'] }, allow)).toBe(false);
  });

  it('names a target for every upstream, or per upstream', () => {
    expect(overrideTargetFor('canary', 'orders')).toBe('canary');
    expect(overrideTargetFor('products=blue, orders=canary', 'orders')).toBe('canary');
    expect(overrideTargetFor('products=blue, stable', 'orders')).toBe('stable');
    expect(overrideTargetFor('products=blue', 'orders')).toBeUndefined();
    expect(overrideTargetFor(undefined, 'orders')).toBeUndefined();
  });

  it('falls back to the weighted choice for an unknown or empty target', () => {
    const set = canarySet({ overrideAllowed: allow });
    expect(set.choose({ userId: 'alice', override: 'nope' }, 0)?.target).toBe(set.choose({ userId: 'alice' }, 0)?.target);
  });

  it('builds the routing input from the verified principal, not from the headers sent upstream', () => {
    const user = { kind: 'user', id: 'u1', clientId: 'c1', scopes: ['a', 'b'], roles: [], plan: 'default', method: 'jwt' } as const;
    expect(routingInputFor(user, ['canary'])).toEqual({ userId: 'u1', clientId: 'c1', scopes: ['a', 'b'], override: 'canary' });
    // A client is routed by its client id: it has no user id, whatever its id is.
    expect(routingInputFor({ ...user, kind: 'client', id: 'acme', clientId: 'acme', scopes: [] }, undefined)).toEqual({ clientId: 'acme' });
    expect(routingInputFor(undefined, undefined)).toEqual({});
  });
});

describe('balancing within a target', () => {
  it('goes round robin by default', () => {
    const set = canarySet({ targets: [{ name: 'stable', weight: 1 }, { name: 'canary', weight: 0 }] });
    const origins = Array.from({ length: 6 }, () => set.choose({}, 0)?.origin);
    expect(origins).toEqual(['http://s1:1', 'http://s2:1', 'http://s3:1', 'http://s1:1', 'http://s2:1', 'http://s3:1']);
  });

  it('picks the endpoint with the fewest calls in flight when least-busy', () => {
    const set = canarySet({ balancing: 'least-busy', targets: [{ name: 'stable', weight: 1 }, { name: 'canary', weight: 0 }] });
    const [s1, s2, s3] = set.endpointsOf('stable') as Endpoint[];
    (s1 as Endpoint).inFlight = 4;
    (s2 as Endpoint).inFlight = 1;
    (s3 as Endpoint).inFlight = 2;
    expect(set.choose({}, 0)?.origin).toBe('http://s2:1');
    (s2 as Endpoint).inFlight = 5;
    expect(set.choose({}, 0)?.origin).toBe('http://s3:1');
  });

  it('takes turns among equally idle endpoints when least-busy', () => {
    const set = canarySet({ balancing: 'least-busy', targets: [{ name: 'stable', weight: 1 }, { name: 'canary', weight: 0 }] });
    const origins = new Set(Array.from({ length: 3 }, () => set.choose({}, 0)?.origin));
    expect(origins.size).toBe(3);
  });

  it('skips unavailable endpoints', () => {
    const set = canarySet({ targets: [{ name: 'stable', weight: 1 }, { name: 'canary', weight: 0 }] });
    const [s1] = set.endpointsOf('stable') as Endpoint[];
    (s1 as Endpoint).healthy = false;
    const origins = new Set(Array.from({ length: 6 }, () => set.choose({}, 0)?.origin));
    expect(origins).toEqual(new Set(['http://s2:1', 'http://s3:1']));
  });
});

describe('health and failover', () => {
  it('sends a target’s users elsewhere while it has no available endpoint, and keeps everyone else where they were', () => {
    const set = canarySet();
    const users = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const home = new Map(users.map((u) => [u, set.choose({ userId: u }, 0)?.target]));
    (set.endpointsOf('canary')[0] as Endpoint).healthy = false;
    for (const u of users) expect(set.choose({ userId: u }, 0)?.target).toBe('stable');
    (set.endpointsOf('canary')[0] as Endpoint).healthy = true;
    for (const s of set.endpointsOf('stable')) (s as Endpoint).healthy = false;
    for (const u of users) if (home.get(u) === 'canary') expect(set.choose({ userId: u }, 0)?.target).toBe('canary');
    expect(users.every((u) => set.choose({ userId: u }, 0)?.target === 'canary')).toBe(true);
  });

  it('returns nothing when every endpoint is out', () => {
    const set = canarySet();
    for (const e of set.endpoints()) e.healthy = false;
    expect(set.choose({ userId: 'u' }, 0)).toBeUndefined();
    expect(set.choose({}, 0)).toBeUndefined();
  });

  it('returns nothing when only a zero-weight target is up, unless a permitted override names it', () => {
    const set = canarySet({ targets: [{ name: 'stable', weight: 1 }, { name: 'canary', weight: 0 }], overrideAllowed: { userIds: ['alice'] } });
    for (const e of set.endpointsOf('stable')) (e as Endpoint).healthy = false;
    expect(set.choose({ userId: 'bob' }, 0)).toBeUndefined();
    expect(set.choose({ userId: 'alice', override: 'canary' }, 0)?.target).toBe('canary');
  });

  it('applies the unhealthy and healthy thresholds of active checks', () => {
    const set = canarySet();
    const e = set.endpointsOf('canary')[0] as Endpoint;
    expect(set.recordCheck(e, false)).toBeUndefined();
    expect(set.recordCheck(e, false)).toBeUndefined();
    expect(set.recordCheck(e, true)).toBeUndefined(); // a pass resets the streak
    expect(set.recordCheck(e, false)).toBeUndefined();
    expect(set.recordCheck(e, false)).toBeUndefined();
    expect(set.recordCheck(e, false)).toBe('unhealthy');
    expect(e.healthy).toBe(false);
    expect(set.recordCheck(e, true)).toBeUndefined();
    expect(set.recordCheck(e, true)).toBe('healthy');
    expect(e.healthy).toBe(true);
  });

  it('ejects an endpoint after consecutive failed calls, for the cool-down only', () => {
    const set = canarySet();
    const e = set.endpointsOf('canary')[0] as Endpoint;
    expect(set.recordCall(e, true, 100)).toBe(false);
    expect(set.recordCall(e, true, 100)).toBe(false);
    expect(set.recordCall(e, false, 100)).toBe(false); // a success resets the count
    expect(set.recordCall(e, true, 100)).toBe(false);
    expect(set.recordCall(e, true, 100)).toBe(false);
    expect(set.recordCall(e, true, 100)).toBe(true);
    expect(set.nextReturnAt(100)).toBe(1_100);
    const canaryUser = Array.from({ length: 200 }, (_, i) => `user-${i}`).find((u) => canarySet().choose({ userId: u }, 0)?.target === 'canary') as string;
    expect(set.choose({ userId: canaryUser }, 500)?.target).toBe('stable');
    expect(set.choose({ userId: canaryUser }, 1_100)?.target).toBe('canary');
  });

  it('does not eject with outlier detection off', () => {
    const set = canarySet({ outlierDetection: false });
    const e = set.endpointsOf('canary')[0] as Endpoint;
    for (let i = 0; i < 10; i++) expect(set.recordCall(e, true, 0)).toBe(false);
    expect(e.ejectedUntil).toBe(0);
  });
});

describe('endpoint lists from discovery', () => {
  it('keeps the state of endpoints still listed, adds new ones healthy, marks dropped ones removed', () => {
    const set = canarySet();
    const [s1, s2] = set.endpointsOf('stable') as Endpoint[];
    (s1 as Endpoint).healthy = false;
    const { added, removed } = set.setEndpoints('stable', ['http://s1:1', 'http://s4:1']);
    expect(added.map((e) => e.origin)).toEqual(['http://s4:1']);
    expect(removed.map((e) => e.origin)).toEqual(['http://s2:1', 'http://s3:1']);
    expect(s2?.removed).toBe(true);
    expect(set.endpointsOf('stable')[0]).toBe(s1);
    expect(s1?.healthy).toBe(false);
    expect(() => set.setEndpoints('nope', [])).toThrow(/unknown target/);
  });
});
