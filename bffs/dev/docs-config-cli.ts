/** `npm run docs:config` regenerates the environment-variable and manifest-settings tables of docs/configuration.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withReferences } from './config-reference';

const DOC = path.resolve(__dirname, '../../docs/configuration.md');
const before = readFileSync(DOC, 'utf8');
const after = withReferences(before);
if (after !== before) writeFileSync(DOC, after);
process.stdout.write(after === before ? 'docs/configuration.md is up to date\n' : 'docs/configuration.md updated\n');
