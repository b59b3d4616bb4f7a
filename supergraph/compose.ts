/**
 * `npm run supergraph:compose`: composes the demo subgraphs and writes the committed
 * supergraph, its client contracts and its Kubernetes ConfigMap. `--check` only compares and exits 1 when a
 * committed file is stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { CONTRACTS, printContract } from './contracts';
import path from 'node:path';
import { SUPERGRAPH_FILE, composeSupergraph, formatCompositionProblems, loadSubgraphDefinitions } from './composition';
import { SUPERGRAPH_CONFIGMAP_FILE, printSupergraphConfigMap } from './supergraph-configmap';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const outcome = composeSupergraph(await loadSubgraphDefinitions());
  if (!outcome.ok) {
    process.stderr.write(`Composition failed with ${outcome.errors.length} error(s):\n${formatCompositionProblems(outcome.errors)}\n`);
    return 1;
  }
  const outputs: Array<[string, string]> = [
    [SUPERGRAPH_FILE, outcome.supergraphSdl],
    [SUPERGRAPH_CONFIGMAP_FILE, printSupergraphConfigMap(outcome.supergraphSdl)],
    ...Object.entries(CONTRACTS).map(([name, contract]) => [contract.file, printContract(name, outcome.supergraphSdl)] as [string, string]),
  ];
  let stale = 0;
  for (const [file, content] of outputs) {
    const relative = path.relative(process.cwd(), file);
    if (check) {
      const committed = await readFile(file, 'utf8').catch(() => '');
      if (committed === content) process.stdout.write(`${relative} is up to date.\n`);
      else {
        stale += 1;
        process.stderr.write(`${relative} is out of date with the subgraph schemas; run \`npm run supergraph:compose\`.\n`);
      }
    } else {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      process.stdout.write(`Wrote ${relative}.\n`);
    }
  }
  if (!check) process.stdout.write(`${outcome.hints.length} composition hint(s).\n`);
  return stale > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`supergraph:compose failed: ${err.message}\n`);
    process.exit(1);
  },
);
