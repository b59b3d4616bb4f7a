/**
 * `npm run -s apikey -- create --client acme [--plan pro] [--scopes orders:read,orders:write]`
 * `npm run -s apikey -- revoke <keyId>` | `npm run -s apikey -- list`
 * Manages the demo stack's API key file (only hashes are stored; a new key is shown once).
 * `--file <path>` edits another key file, e.g. a production one.
 */
import { parseArgs } from 'node:util';
import { createApiKeyInFile, listApiKeysInFile, revokeApiKeyInFile } from '../../shared/dev/api-key-file';
import { ensureDevKeys } from '../../shared/dev/dev-keys';

export const APIKEY_USAGE = `Usage: npm run -s apikey -- <command> [options]

Manages the partner BFF's API keys (the demo stack's key file unless --file is given; only
hashes are stored). A new key is printed alone on stdout, once.

Commands:
  create --client <id> [--plan <plan>] [--scopes a,b]   a new key (plan: free, pro, enterprise; default free)
  revoke <keyId>                                         refuse a key from now on (BFFs notice within a second)
  list                                                   every key: id, client, plan, scopes, revoked

Options:
  --file <path>       another key file, e.g. a production one
  -h, --help          this text
`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, client: { type: 'string' }, plan: { type: 'string', default: 'free' }, scopes: { type: 'string', default: '' }, file: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(APIKEY_USAGE);
    return;
  }
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
    throw new Error(command ? `unknown command '${command}'` : 'a command is needed');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`apikey: ${err.message}\n\n${APIKEY_USAGE}`);
  process.exit(1);
});
