/** The warm-up's pure parts: placeholder variables, and the rounds within a budget on an injected clock. */
import { buildSchema } from 'graphql';
import { describeWarmUp, warmUpOperations, warmUpVariables, type RegisteredOperation, type WarmUpRun } from '../../shared/graphql/warm-up';

const schema = buildSchema(`
  enum Sort { NEWEST OLDEST }
  input Page { first: Int!, after: String, sort: Sort! = NEWEST }
  type Query { product(upc: String!): String, list(page: Page!, sort: Sort!, ids: [ID!]!, flag: Boolean!, limit: Int = 3, note: String): [String] }
`);

describe('warmUpVariables', () => {
  it('fills required variables without a default with values that coerce, and leaves the rest to their defaults', () => {
    const body = 'query L($page: Page!, $sort: Sort!, $ids: [ID!]!, $flag: Boolean!, $limit: Int = 3, $note: String, $upc: String! = "1") { list(page: $page, sort: $sort, ids: $ids, flag: $flag, limit: $limit, note: $note) product(upc: $upc) }';
    expect(warmUpVariables(schema, body, 'L')).toEqual({ page: { first: 0 }, sort: 'NEWEST', ids: [], flag: false });
  });

  it('gives nothing to an operation without variables', () => {
    expect(warmUpVariables(schema, 'query P { product(upc: "1") }', 'P')).toEqual({});
  });
});

describe('warmUpOperations', () => {
  const operations: RegisteredOperation[] = [
    { name: 'A', body: 'query A { a }' },
    { name: 'B', body: 'query B { b }' },
    { name: 'C', body: 'query C { c }' },
  ];

  it('plans every operation first, runs each the given number of rounds, and runs a refused one once', async () => {
    const calls: string[] = [];
    const report = await warmUpOperations({
      operations,
      variablesOf: () => ({}),
      execute: async (op): Promise<WarmUpRun> => {
        calls.push(op.name);
        return op.name === 'B' ? { planned: false, errors: ['Cannot query field "b" on type "Query".'] } : { planned: true, errors: [] };
      },
      budgetMs: 1_000,
      rounds: 3,
      now: () => 0,
    });
    expect(calls).toEqual(['A', 'B', 'C', 'A', 'C', 'A', 'C']);
    expect(report).toEqual({ planned: ['A', 'C'], invalid: [{ name: 'B', errors: ['Cannot query field "b" on type "Query".'] }], skipped: [], runs: 7, durationMs: 0 });
    expect(describeWarmUp(report)).toBe('2 registered operation(s) planned in 0 ms; 1 refused (B)');
  });

  it('stops at the budget and reports what it did not reach', async () => {
    let clock = 0;
    const report = await warmUpOperations({
      operations,
      variablesOf: () => ({}),
      execute: async () => {
        clock += 60;
        return { planned: true, errors: [] };
      },
      budgetMs: 100,
      rounds: 10,
      now: () => clock,
    });
    expect(report).toMatchObject({ planned: ['A', 'B'], skipped: ['C'], runs: 2, durationMs: 120 });
    expect(describeWarmUp(report)).toBe('2 registered operation(s) planned in 120 ms; 1 not reached within the budget (C)');
  });
});
