/** Reads one sample from Prometheus text output, whatever order its labels are printed in. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** Upstream calls a BFF has made so far (every upstream, every outcome), from its own metrics. */
export async function upstreamCallCount(app: { metrics: { registry: { metrics(): Promise<string> } } }): Promise<number> {
  const text = await app.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('portico_upstream_request_duration_seconds_count')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
