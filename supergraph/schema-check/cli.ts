/**
 * `npm run schema:check [-- --base <supergraph file>] [--json <file>] [--allow-breaking "<reason>"] [--strict-nullability]`
 * Composition, drift, breaking changes against the merge base with main (or --base), and
 * every registered client operation. Exit code 0 when the change is safe to ship.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONTRACTS } from '../contracts';
import { SUPERGRAPH_FILE, loadSubgraphDefinitions } from '../composition';
import { readCommitted, registeredOperations } from './registered-operations';
import { formatReport, runSchemaCheck } from './schema-check';

const REPO_ROOT = path.resolve(__dirname, '../..');

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** The committed supergraph as of the merge base with main: what is live before this change. */
function mergeBaseSupergraph(): { sdl: string; label: string } | undefined {
  for (const branch of ['origin/main', 'main']) {
    const base = git(['merge-base', 'HEAD', branch])?.trim();
    if (!base) continue;
    const sdl = git(['show', `${base}:supergraph/supergraph.graphql`]);
    if (sdl) return { sdl, label: `the merge base with ${branch} (${base.slice(0, 10)})` };
  }
  return undefined;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { base: { type: 'string' }, json: { type: 'string' }, 'allow-breaking': { type: 'string' }, 'strict-nullability': { type: 'boolean' } } });
  if (values['allow-breaking'] !== undefined && values['allow-breaking'].trim().length < 10) {
    process.stderr.write('--allow-breaking needs a reason of at least 10 characters, recorded in the report.\n');
    return 2;
  }
  const base = values.base ? { sdl: (await import('node:fs')).readFileSync(values.base, 'utf8'), label: values.base } : mergeBaseSupergraph();
  const report = await runSchemaCheck({
    definitions: await loadSubgraphDefinitions(),
    committed: readCommitted(SUPERGRAPH_FILE, Object.fromEntries(Object.entries(CONTRACTS).map(([n, c]) => [n, c.file]))),
    ...(base ? { base } : {}),
    operations: registeredOperations(),
    ...(values['allow-breaking'] ? { allowBreaking: values['allow-breaking'].trim() } : {}),
    ...(values['strict-nullability'] ? { strictNullability: true } : {}),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`schema:check failed to run: ${err.message}\n`);
    process.exit(2);
  },
);
