/**
 * The Grafana dashboard and the Prometheus alerting rules under deploy/ against what Portico
 * really exports: every metric their queries name (and every series the rules' unit tests
 * feed) is one a running web or partner BFF serves on /metrics, so a renamed metric breaks
 * this test rather than a dashboard in production. Where promtool can be had (on PATH, or
 * unpacked from Debian's `prometheus` package) the rules are also checked and unit-tested
 * with it; every panel and alert is explained in docs/operations.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { startPartnerBff, startWebBff, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { providePromtool } from '../helpers/promtool-binary';

const ROOT = path.join(__dirname, '..', '..');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'portico-dashboard.json');
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'portico-alerts.yml');
const RULE_TESTS = path.join(ROOT, 'deploy', 'prometheus', 'portico-alerts.test.yml');
const OPERATIONS_DOC = path.join(ROOT, 'docs', 'operations.md');

/** PromQL words that look like metric names but are operators or modifiers. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/**
 * The metric names a PromQL expression selects: identifiers left once strings, label
 * matchers, ranges and grouping label lists are removed, that are not called (functions,
 * aggregations) nor keywords. Grafana's `label_values(metric, label)` counts its metric.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/label_values\(\s*([^,()]+?)\s*,[^)]*\)/g, ' $1 ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const start = match.index;
    const before = start > 0 ? stripped[start - 1] : ' ';
    // Part of a number (1e3, 5m), a Grafana variable or a larger word.
    if (before !== undefined && /[\w.$]/.test(before)) continue;
    const after = stripped.slice(start + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The sample names a Prometheus exposition can contain, from its `# TYPE` lines (a histogram's `_bucket`, `_sum` and `_count`). */
function sampleNamesOf(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${name}${suffix}`);
    else names.add(name);
  }
  return names;
}

interface Dashboard {
  panels: Array<{ type: string; title: string; description?: string; targets?: Array<{ expr: string }> }>;
}

/** Every `expr` and templating query anywhere in the dashboard. */
function dashboardQueries(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) dashboardQueries(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'definition') && typeof value === 'string') found.push(value);
      else if (key === 'query' && typeof value === 'string' && value.includes('(')) found.push(value);
      else dashboardQueries(value, found);
    }
  }
  return found;
}

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}

describe('dashboard and alerting rules', () => {
  let web: RunningBff;
  let partner: RunningBff;
  let exported: Set<string>;
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const rules = parseYaml(readFileSync(RULES, 'utf8')) as RuleFile;
  const ruleTests = parseYaml(readFileSync(RULE_TESTS, 'utf8')) as { tests: Array<{ input_series: Array<{ series: string }> }> };

  beforeAll(async () => {
    // The real BFFs, scraped over HTTP: their registries are what Prometheus would see.
    web = await startWebBff({ ready: false });
    await waitForSupergraph(web);
    partner = await startPartnerBff({}, { ready: false });
    exported = new Set<string>();
    for (const bff of [web, partner]) {
      const res = await request(`${bff.url}/metrics`);
      expect(res.statusCode).toBe(200);
      for (const name of sampleNamesOf(await res.body.text())) exported.add(name);
    }
  });

  afterAll(async () => {
    await web?.close();
    await partner?.close();
  });

  it('reads metric names out of PromQL the way Prometheus does', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (route, le) (rate(a_seconds_bucket{bff=~"$bff", le!="x y"}[$__rate_interval])))')).toEqual(['a_seconds_bucket']);
    expect(metricNamesIn('sum(rate(x_total[5m] offset 1h)) by (job) / on (bff) group_left (route) max_over_time(y[1m:10s]) > 1e3 and bool z')).toEqual(['x_total', 'y', 'z']);
    expect(metricNamesIn('label_values(portico_http_requests_total, bff)')).toEqual(['portico_http_requests_total']);
  });

  it('names only metrics Portico exports, in every dashboard query, alert and rule test series', () => {
    const referenced = new Map<string, string>();
    for (const query of dashboardQueries(dashboard)) for (const name of metricNamesIn(query)) referenced.set(name, `dashboard: ${query}`);
    for (const group of rules.groups) for (const rule of group.rules) for (const name of metricNamesIn(rule.expr)) referenced.set(name, `rule ${rule.alert ?? rule.record}`);
    for (const test of ruleTests.tests) for (const { series } of test.input_series) for (const name of metricNamesIn(series)) referenced.set(name, `rule test series ${series}`);
    expect(referenced.size).toBeGreaterThan(15);
    const unknown = [...referenced].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${where})`);
    expect(unknown).toEqual([]);
  });

  it('covers traffic, latency, GraphQL clients, upstreams, breakers, rate limits, caches, reloads and readiness', () => {
    const queried = new Set(dashboardQueries(dashboard).flatMap(metricNamesIn));
    for (const name of [
      'portico_http_requests_total',
      'portico_http_request_duration_seconds_bucket',
      'portico_graphql_operation_requests_total',
      'portico_graphql_operation_errors_total',
      'portico_graphql_operation_duration_seconds_bucket',
      'portico_upstream_errors_total',
      'portico_circuit_breaker_state',
      'portico_rate_limit_decisions_total',
      'portico_rate_limit_store_fallback_active',
      'portico_response_cache_total',
      'portico_supergraph_reloads_total',
      'portico_ready',
    ]) {
      expect([name, queried.has(name)]).toEqual([name, true]);
    }
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(expect.arrayContaining(['PorticoCircuitBreakerOpen', 'PorticoHighErrorRatio', 'PorticoReadinessFlapping', 'PorticoRateLimitFallbackActive']));
  });

  it('explains every panel and every alert in docs/operations.md', () => {
    const doc = readFileSync(OPERATIONS_DOC, 'utf8');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    for (const panel of panels) {
      expect([panel.title, Boolean(panel.description), doc.includes(`**${panel.title}**`)]).toEqual([panel.title, true, true]);
    }
    for (const group of rules.groups) for (const rule of group.rules) if (rule.alert) expect([rule.alert, doc.includes(`**${rule.alert}**`)]).toEqual([rule.alert, true]);
  });

  it('passes promtool check rules and the rules unit tests, where promtool can be had', () => {
    const promtool = providePromtool();
    if (!promtool) {
      process.stdout.write('promtool is not on PATH and could not be unpacked from the Debian prometheus package: the rules were not checked with promtool (their metric names were).\n');
      return;
    }
    const check = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' });
    expect([check.status, check.stdout + check.stderr]).toEqual([0, expect.stringContaining('SUCCESS')]);
    const unitTests = spawnSync(promtool, ['test', 'rules', RULE_TESTS], { encoding: 'utf8', cwd: path.dirname(RULE_TESTS) });
    expect([unitTests.status, unitTests.stdout + unitTests.stderr]).toEqual([0, expect.stringContaining('SUCCESS')]);
  });
});
