/**
 * `npm run -s token -- [--sub 1] [--scope "a b"] [--roles admin,ops] [--tenant t] [--plan pro] [--ttl 3600]`
 * prints a development JWT for the demo stack's web and mobile BFFs.
 */
import { parseArgs } from 'node:util';
import { BFF_AUDIENCES, mintDevToken } from '../../shared/dev/dev-keys';

export const TOKEN_USAGE = `Usage: npm run -s token -- [options]

Prints a development JWT for the demo stack's web and mobile BFFs, alone on stdout
(-s keeps npm's banner out of it, so TOKEN=$(npm run -s token) captures the token only).

Options:
  --sub <id>          subject, the user id (default 1)
  --scope "<a b>"     space-separated scopes, e.g. "profile orders:read"
  --roles <a,b>       comma-separated roles
  --tenant <id>       tenant id
  --plan <plan>       rate-limit plan: free, pro, enterprise
  --ttl <seconds>     lifetime (default 3600)
  --aud <bffs>        comma-separated BFFs the token is for: web, mobile (default web,mobile)
  -h, --help          this text
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      sub: { type: 'string', default: '1' },
      scope: { type: 'string' },
      roles: { type: 'string' },
      tenant: { type: 'string' },
      plan: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      aud: { type: 'string', default: 'web,mobile' },
    },
  });
  if (values.help) {
    process.stdout.write(TOKEN_USAGE);
    return;
  }
  const ttlSec = Number(values.ttl);
  if (!Number.isInteger(ttlSec) || ttlSec <= 0) throw new Error('--ttl must be a positive number of seconds');
  const audience = (values.aud ?? '').split(',').filter(Boolean).map((name) => {
    const known = BFF_AUDIENCES[name as keyof typeof BFF_AUDIENCES];
    if (!known) throw new Error(`--aud: unknown BFF '${name}' (web, mobile, partner)`);
    return known;
  });
  const token = await mintDevToken({
    audience,
    sub: values.sub ?? '1',
    ...(values.scope ? { scope: values.scope } : {}),
    ...(values.roles ? { roles: values.roles.split(',') } : {}),
    ...(values.tenant ? { tenant: values.tenant } : {}),
    ...(values.plan ? { plan: values.plan } : {}),
    ttlSec,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`token: ${err.message}\n\n${TOKEN_USAGE}`);
  process.exit(1);
});
