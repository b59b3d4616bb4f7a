/**
 * `npm run token -- [--sub 1] [--scope "a b"] [--roles admin,ops] [--tenant t] [--plan pro] [--ttl 3600]`
 * prints a development JWT for the demo stack's web and mobile BFFs.
 */
import { parseArgs } from 'node:util';
import { mintDevToken } from './dev-keys';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: '1' },
      scope: { type: 'string' },
      roles: { type: 'string' },
      tenant: { type: 'string' },
      plan: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const ttlSec = Number(values.ttl);
  if (!Number.isInteger(ttlSec) || ttlSec <= 0) throw new Error('--ttl must be a positive number of seconds');
  const token = await mintDevToken({
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
  process.stderr.write(`token: ${err.message}\n`);
  process.exit(1);
});
