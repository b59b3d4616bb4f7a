/**
 * `npm run operations:manifest`: registers the mobile app's operations
 * (`bffs/mobile/operations/*.graphql`) as trusted documents in
 * `bffs/mobile/operations/manifest.json`. `--check` fails when the committed manifest is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTrustedDocumentsManifest } from '../../shared/graphql/trusted-documents';
import { MOBILE_OPERATIONS_DIR, MOBILE_TRUSTED_DOCUMENTS } from './manifest';

const expected = `${JSON.stringify(buildTrustedDocumentsManifest(MOBILE_OPERATIONS_DIR), null, 2)}\n`;
const relative = path.relative(process.cwd(), MOBILE_TRUSTED_DOCUMENTS);
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(MOBILE_TRUSTED_DOCUMENTS, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== expected) {
    process.stderr.write(`${relative} is out of date with bffs/mobile/operations; run \`npm run operations:manifest\`.\n`);
    process.exit(1);
  }
  process.stdout.write(`${relative} is up to date.\n`);
} else {
  writeFileSync(MOBILE_TRUSTED_DOCUMENTS, expected);
  process.stdout.write(`Wrote ${relative}.\n`);
}
