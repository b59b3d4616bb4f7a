/**
 * `npm run supergraph:compose`: composes the demo subgraphs and writes the committed
 * supergraph. `--check` only compares and exits 1 when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SUPERGRAPH_FILE, composeSupergraph, formatCompositionProblems, loadSubgraphDefinitions } from './composition';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const outcome = composeSupergraph(await loadSubgraphDefinitions());
  if (!outcome.ok) {
    process.stderr.write(`Composition failed with ${outcome.errors.length} error(s):\n${formatCompositionProblems(outcome.errors)}\n`);
    return 1;
  }
  const relative = path.relative(process.cwd(), SUPERGRAPH_FILE);
  if (check) {
    const committed = await readFile(SUPERGRAPH_FILE, 'utf8').catch(() => '');
    if (committed !== outcome.supergraphSdl) {
      process.stderr.write(`${relative} is out of date with the subgraph schemas; run \`npm run supergraph:compose\`.\n`);
      return 1;
    }
    process.stdout.write(`${relative} is up to date.\n`);
    return 0;
  }
  await writeFile(SUPERGRAPH_FILE, outcome.supergraphSdl);
  process.stdout.write(`Wrote ${relative} (${outcome.hints.length} composition hint(s)).\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`supergraph:compose failed: ${err.message}\n`);
    process.exit(1);
  },
);
