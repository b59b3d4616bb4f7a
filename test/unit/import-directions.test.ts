/**
 * Dependencies point one way: the BFFs use the policy library, the demo uses the library,
 * and the library uses neither. `bffs/dev/` (the demo stack launcher and the dev CLIs) is
 * where the demo and the BFFs meet, so it alone may import the demo services.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => {
      const resolved = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), s));
      return /\.(ts|json)$/.test(resolved) ? resolved : `${resolved}.ts`;
    });
}

function violation(from: string, to: string): string | undefined {
  const [fromTop] = from.split(path.sep);
  const [toTop] = to.split(path.sep);
  if (fromTop === 'shared' && (toTop === 'bffs' || toTop === 'supergraph')) return 'the policy library imports nothing of the BFFs or the demo';
  if (fromTop === 'supergraph' && toTop === 'bffs') return 'the demo and its schema tooling import nothing of the BFFs';
  if (fromTop === 'bffs' && !from.startsWith(`bffs${path.sep}dev${path.sep}`) && toTop === 'supergraph') return 'a BFF imports nothing of the demo (only bffs/dev/ does)';
  return undefined;
}

describe('import directions', () => {
  const files = ['shared', 'bffs', 'supergraph'].flatMap(sourceFiles);

  it('finds the source files it checks', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('runs no import against the directions bffs -> shared, supergraph -> shared, shared -> nothing', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        const why = violation(file, target);
        if (why) found.push(`${file} -> ${target}: ${why}`);
      }
    }
    expect(found).toEqual([]);
  });
});
