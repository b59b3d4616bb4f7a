/**
 * Supergraph hot reload on a running web BFF: a changed file (or a changed answer from a
 * polled URL) is picked up without a restart; a broken one is refused while the previous
 * supergraph keeps serving.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SUPERGRAPH_FILE } from '../../supergraph/composition';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs, supergraphWithoutDescription, type RunningSubgraphs } from '../helpers/subgraphs';

let dir: string;
let subgraphs: RunningSubgraphs;
let web: RunningBff;
let supergraphPath: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-reload-'));
  supergraphPath = path.join(dir, 'supergraph.graphql');
  await cp(SUPERGRAPH_FILE, supergraphPath);
  subgraphs = await startSubgraphs();
  web = await startWebBff({ graphql: { supergraphPath, subgraphUrls: subgraphs.urls, watchSupergraphMs: 100 } });
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
  await rm(dir, { recursive: true, force: true });
});


describe('supergraph hot reload', () => {
  it('swaps to a changed supergraph without a restart', async () => {
    expect((await postGraphql(web.url, '{ product(upc: "1") { description } }')).json.data.product.description).toEqual(expect.any(String));
    await writeFile(supergraphPath, await supergraphWithoutDescription(dir));
    let errors: Array<{ message: string }> | undefined;
    for (let i = 0; i < 100 && !errors; i++) {
      const res = await postGraphql(web.url, '{ product(upc: "1") { description } }');
      errors = res.json.errors;
      if (!errors) await new Promise((r) => setTimeout(r, 50));
    }
    expect(errors?.[0]?.message).toBe('Cannot query field "description" on type "Product".');
    expect((await postGraphql(web.url, '{ product(upc: "1") { name } }')).json.data.product.name).toEqual(expect.any(String));
    expect((await http(`${web.url}/metrics`)).text).toMatch(/portico_supergraph_reloads_total\{outcome="success",bff="web"\} 1/);
  });

  it('keeps serving the previous supergraph when the new one is broken, and says so', async () => {
    await writeFile(supergraphPath, 'schema { query: Query } type Query { broken: }');
    let ready: { status: number; json: { checks: Record<string, { ok: boolean; detail: string }> } } | undefined;
    for (let i = 0; i < 100; i++) {
      ready = await http(`${web.url}/readyz`);
      if (ready.json.checks.supergraph?.detail.includes('refused')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ready?.status).toBe(200);
    expect(ready?.json.checks.supergraph).toEqual({ ok: true, detail: 'loaded; the latest change was refused (it failed to load), the previous supergraph keeps serving' });
    expect((await postGraphql(web.url, '{ product(upc: "1") { name } }')).json.data.product.name).toEqual(expect.any(String));
    expect((await http(`${web.url}/metrics`)).text).toMatch(/portico_supergraph_reloads_total\{outcome="failure",bff="web"\} 1/);
  });
});

describe('supergraph hot reload under load', () => {
  it('swaps while queries run, with zero failed requests', async () => {
    const metricsText = async () => (await http(`${web.url}/metrics`)).text;
    const reloads = async () => Number(/portico_supergraph_reloads_total\{outcome="success",bff="web"\} (\d+)/.exec(await metricsText())?.[1] ?? 0);
    const before = await reloads();
    const failures: string[] = [];
    let sent = 0;
    let stop = false;
    // Eight clients in a loop, bounded in count and time, so the swap lands among requests in flight.
    const deadline = Date.now() + 15_000;
    const client = async () => {
      while (!stop && sent < 5_000 && Date.now() < deadline) {
        sent += 1;
        const res = await postGraphql(web.url, 'query Name($upc: String!) { product(upc: $upc) { name } }', { upc: String((sent % 40) + 1) });
        if (res.status !== 200 || res.json.errors || !res.json.data?.product?.name) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, client));
    await new Promise((r) => setTimeout(r, 200));
    const sentBeforeSwap = sent;
    // Whatever the earlier tests left serving, swap to the other of the two valid supergraphs.
    const original = await readFile(SUPERGRAPH_FILE, 'utf8');
    const toOriginal = (await readFile(supergraphPath, 'utf8')) !== original;
    await writeFile(supergraphPath, toOriginal ? original : await supergraphWithoutDescription(dir));
    for (let i = 0; i < 200 && (await reloads()) === before; i++) await new Promise((r) => setTimeout(r, 25));
    const sentAtReload = sent;
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    expect(await reloads()).toBe(before + 1);
    // Requests ran before the change, while it was loaded, and after the swap.
    expect(sentBeforeSwap).toBeGreaterThan(8);
    expect(sentAtReload).toBeGreaterThan(sentBeforeSwap);
    expect(sent).toBeGreaterThan(sentAtReload);
    expect(failures).toEqual([]);
    expect(Boolean((await postGraphql(web.url, '{ product(upc: "1") { description } }')).json.errors)).toBe(!toOriginal);
  });
});

describe('supergraph polled from a URL', () => {
  let registry: Server;
  let registryUrl: string;
  let served = '';
  let status = 200;
  const conditional: boolean[] = [];
  let fromUrl: RunningBff;

  beforeAll(async () => {
    served = await readFile(SUPERGRAPH_FILE, 'utf8');
    registry = createServer((req, res) => {
      const etag = `"${createHash('sha256').update(served).digest('hex').slice(0, 16)}"`;
      conditional.push(req.headers['if-none-match'] === etag);
      if (status !== 200) {
        res.writeHead(status).end();
      } else if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', etag }).end(served);
      }
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/supergraph.graphql`;
    // The file path points nowhere: everything must come from the URL.
    fromUrl = await startWebBff({ graphql: { supergraphPath: path.join(dir, 'absent.graphql'), supergraphUrl: registryUrl, subgraphUrls: subgraphs.urls, watchSupergraphMs: 100 } });
  });

  afterAll(async () => {
    await fromUrl?.close();
    await new Promise((resolve) => registry?.close(resolve));
  });

  it('serves the supergraph from the URL and asks again with If-None-Match', async () => {
    expect((await postGraphql(fromUrl.url, '{ product(upc: "1") { description } }')).json.data.product.description).toEqual(expect.any(String));
    conditional.length = 0;
    for (let i = 0; i < 100 && conditional.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(conditional.length).toBeGreaterThanOrEqual(2);
    expect(conditional.every(Boolean)).toBe(true);
  });

  it('swaps to a changed supergraph, and keeps serving while the URL fails', async () => {
    served = await supergraphWithoutDescription(dir);
    let errors: Array<{ message: string }> | undefined;
    for (let i = 0; i < 100 && !errors; i++) {
      errors = (await postGraphql(fromUrl.url, '{ product(upc: "1") { description } }')).json.errors;
      if (!errors) await new Promise((r) => setTimeout(r, 50));
    }
    expect(errors?.[0]?.message).toBe('Cannot query field "description" on type "Product".');

    status = 503;
    await new Promise((r) => setTimeout(r, 300));
    expect((await postGraphql(fromUrl.url, '{ product(upc: "1") { name } }')).json.data.product.name).toEqual(expect.any(String));
    const ready = await http(`${fromUrl.url}/readyz`);
    expect(ready.status).toBe(200);
    status = 200;
  });

  it('reports an unreachable URL at start as not ready, with the reason', async () => {
    const unreachable = await startWebBff({ ready: false, graphql: { supergraphPath: path.join(dir, 'absent.graphql'), supergraphUrl: `${registryUrl.replace(/:\d+\//, ':1/')}`, subgraphUrls: subgraphs.urls, loadRetryMs: 50 } });
    try {
      let ready: { status: number; json: { checks: Record<string, { ok: boolean; detail: string }> } } | undefined;
      for (let i = 0; i < 200; i++) {
        ready = await http(`${unreachable.url}/readyz`);
        if (ready.json.checks.supergraph?.detail === 'supergraph URL unreachable') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(ready?.status).toBe(503);
      expect(ready?.json.checks.supergraph).toEqual({ ok: false, detail: 'supergraph URL unreachable' });
    } finally {
      await unreachable.close();
    }
  });
});

describe('supergraph checks slower than the watch interval', () => {
  it('loads one change once, however many checks would overlap', async () => {
    let served = await readFile(SUPERGRAPH_FILE, 'utf8');
    // Every answer takes 250 ms while the BFF looks every 20 ms: checks would overlap unless each waits for the last.
    const slow = createServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(served), 250);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/supergraph.graphql`;
    const bff = await startWebBff({ graphql: { supergraphPath: path.join(dir, 'absent.graphql'), supergraphUrl: url, subgraphUrls: subgraphs.urls, watchSupergraphMs: 20 } });
    try {
      const reloads = async () => Number(/portico_supergraph_reloads_total\{outcome="success",bff="web"\} (\d+)/.exec((await http(`${bff.url}/metrics`)).text)?.[1] ?? 0);
      served = await supergraphWithoutDescription(dir);
      for (let i = 0; i < 100 && (await reloads()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      // Room for any overlapping check to finish its own load.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await reloads()).toBe(1);
    } finally {
      await bff.close();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
