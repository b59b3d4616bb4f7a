/**
 * `npm run apikey -- create --client acme [--plan pro] [--scopes orders:read,orders:write]`
 * `npm run apikey -- revoke <keyId>` | `npm run apikey -- list`
 * Manages the demo stack's API key file (only hashes are stored; a new key is shown once).
 * `--file <path>` edits another key file, e.g. a production one.
 */
import { parseArgs } from 'node:util';
import { createApiKeyInFile, listApiKeysInFile, revokeApiKeyInFile } from './api-key-file';
import { ensureDevKeys } from './dev-keys';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { client: { type: 'string' }, plan: { type: 'string', default: 'free' }, scopes: { type: 'string', default: '' }, file: { type: 'string' } },
  });
  const file = values.file ?? (await ensureDevKeys()).apiKeysFile;
  const [command, arg] = positionals;
  if (command === 'create') {
    if (!values.client) throw new Error('create needs --client <id>');
    const { key, record } = createApiKeyInFile(file, { clientId: values.client, plan: values.plan ?? 'free', scopes: (values.scopes ?? '').split(',').filter(Boolean) });
    process.stdout.write(`${key}\n`);
    process.stderr.write(`created key ${record.keyId} for ${record.clientId} (plan ${record.plan}) in ${file}; the key is shown only now\n`);
  } else if (command === 'revoke') {
    if (!arg) throw new Error('revoke needs a key id');
    if (!revokeApiKeyInFile(file, arg)) throw new Error(`no key with id ${arg} in ${file}`);
    process.stderr.write(`revoked ${arg}\n`);
  } else if (command === 'list') {
    for (const r of listApiKeysInFile(file)) process.stdout.write(`${r.keyId}  ${r.clientId}  ${r.plan}  [${r.scopes.join(' ')}]${r.revoked ? '  revoked' : ''}\n`);
  } else {
    throw new Error('usage: apikey create --client <id> [--plan <plan>] [--scopes a,b] | revoke <keyId> | list [--file <path>]');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`apikey: ${err.message}\n`);
  process.exit(1);
});
