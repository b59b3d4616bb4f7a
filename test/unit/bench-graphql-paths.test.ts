import { formatGraphqlPaths, graphqlPathsOf } from '../bench/report';

describe('the GraphQL paths of a bench window', () => {
  it("counts the window's requests by pipeline and its executions by executor, from the counters around it", () => {
    const before = { 'pipeline:direct': 10, 'pipeline:apollo-server': 5, 'portico:compiled': 15 };
    const after = { 'pipeline:direct': 1010, 'pipeline:apollo-server': 7, 'portico:compiled': 1015, 'apollo:introspection': 2 };
    const paths = graphqlPathsOf(before, after);
    expect(paths).toEqual({ direct: 1000, apolloServer: 2, compiled: 1000, fellBack: { introspection: 2 } });
    expect(formatGraphqlPaths('web', paths!)).toBe("  web: 1000 requests by direct execution, 2 through Apollo Server's pipeline; 1000 executions compiled, left to Apollo Gateway's executor: introspection 2");
    expect(formatGraphqlPaths('web', { ...paths!, fellBack: { introspection: 0 } })).toContain("none left to Apollo Gateway's executor");
  });

  it('is absent for a contestant without the counters (another gateway)', () => {
    expect(graphqlPathsOf(undefined, undefined)).toBeNull();
  });
});
