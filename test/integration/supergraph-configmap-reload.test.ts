/**
 * On Kubernetes the supergraph is a ConfigMap mounted as a directory, and the kubelet never
 * writes the file in place: it writes a new timestamped directory, then renames a `..data`
 * symlink onto it; `supergraph.graphql` is a symlink through `..data`. The web BFF, watching
 * SUPERGRAPH_PATH, must serve the new supergraph after such a swap.
 */
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SUPERGRAPH_FILE } from '../../supergraph/composition';
import { SUPERGRAPH_CONFIGMAP_KEY } from '../../supergraph/supergraph-configmap';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs, supergraphWithoutDescription, type RunningSubgraphs } from '../helpers/subgraphs';

let dir: string;
let mount: string;
let subgraphs: RunningSubgraphs;
let web: RunningBff;

/** Writes `sdl` as the kubelet's atomic writer publishes a ConfigMap volume's new content. */
async function publish(version: string, sdl: string): Promise<void> {
  const data = path.join(mount, `..${version}`);
  await mkdir(data);
  await writeFile(path.join(data, SUPERGRAPH_CONFIGMAP_KEY), sdl);
  await symlink(`..${version}`, path.join(mount, '..data_tmp'));
  await rename(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-configmap-'));
  mount = path.join(dir, 'supergraph');
  await mkdir(mount);
  await publish('2026_12_01_10_00_00.1', await readFile(SUPERGRAPH_FILE, 'utf8'));
  await symlink(path.join('..data', SUPERGRAPH_CONFIGMAP_KEY), path.join(mount, SUPERGRAPH_CONFIGMAP_KEY));
  subgraphs = await startSubgraphs();
  web = await startWebBff({ graphql: { supergraphPath: path.join(mount, SUPERGRAPH_CONFIGMAP_KEY), subgraphUrls: subgraphs.urls, watchSupergraphMs: 100 } });
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
  await rm(dir, { recursive: true, force: true });
});

it('serves the supergraph the kubelet swapped in through the ..data symlink', async () => {
  expect((await postGraphql(web.url, '{ product(upc: "1") { description } }')).json.data.product.description).toEqual(expect.any(String));
  await publish('2026_12_01_10_05_00.2', await supergraphWithoutDescription(dir));
  // The kubelet removes the old version's directory once the new one is live.
  await rm(path.join(mount, '..2026_12_01_10_00_00.1'), { recursive: true });
  let errors: Array<{ message: string }> | undefined;
  for (let i = 0; i < 100 && !errors; i++) {
    errors = (await postGraphql(web.url, '{ product(upc: "1") { description } }')).json.errors;
    if (!errors) await new Promise((r) => setTimeout(r, 50));
  }
  expect(errors?.[0]?.message).toBe('Cannot query field "description" on type "Product".');
  expect((await http(`${web.url}/metrics`)).text).toMatch(/portico_supergraph_reloads_total\{outcome="success",bff="web"\} 1/);
});
