/**
 * `npm start`: runs the whole demo stack (five upstream services, the demo authorization
 * server and the three BFFs) on embedded defaults, prints where everything is, and stops
 * every child on Ctrl-C/SIGTERM.
 */
import { request } from 'undici';
import { createApiKeyInFile } from '../../shared/dev/api-key-file';
import { DEMO_USERS, PARTNER_CLIENT, WEB_CLIENT } from '../../supergraph/authorization-server/demo-clients';
import { ensureDevKeys, mintDevToken } from '../../shared/dev/dev-keys';
import { STACK, STACK_HOST } from './stack';
import { startStack } from './stack-runner';

const EXAMPLES = (urls: Record<string, string>, token: string, apiKey: string, opaqueToken: string) => `
Portico demo stack is up.

  web BFF      ${urls.web}/graphql
  mobile BFF   ${urls.mobile}/graphql
  partner BFF  ${urls.partner}/v1/...
  upstreams    ${STACK.filter((p) => p.kind === 'upstream').map((p) => `${p.name} ${urls[p.name]}`).join(', ')}

Dev credentials (new on every start; mint more with \`TOKEN=$(npm run -s token)\` and \`npm run -s apikey -- --help\`):
  export TOKEN=${token}
  export API_KEY=${apiKey}

Try:
  curl -s ${urls.web}/graphql -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ me { name email orders(first: 2) { id status totalCents } } topProducts(first: 2) { name price inStock shippingEstimate } }"}'
  curl -s -H "x-api-key: $API_KEY" ${urls.partner}/v1/products?limit=3
  curl -s -H "x-api-key: $API_KEY" ${urls.partner}/v1/orders/1
  curl -s -H "x-api-key: $API_KEY" ${urls.partner}/v2/customers/1   # needs customers:read and orders:read
  curl -s ${urls.web}/readyz
  curl -s ${urls.partner}/                       # the partner API's public index

GraphQL IDE (development): open ${urls.web}/graphql in a browser and paste $TOKEN into its Authorization header.
Partner portal: open ${urls.partner}/docs in a browser, choose Authorize and paste $API_KEY to try the routes.

Opaque OAuth2 tokens from the demo authorization server, checked by introspection on every BFF
(this one: ${PARTNER_CLIENT.clientId}, client credentials, valid 1 hour):
  export OPAQUE_TOKEN=${opaqueToken}
  curl -s -H "authorization: Bearer $OPAQUE_TOKEN" ${urls.partner}/v1/orders/1
  curl -s -u ${PARTNER_CLIENT.clientId}:${PARTNER_CLIENT.clientSecret} -d grant_type=client_credentials -d scope=orders:read ${urls['authorization-server']}/oauth/token
  curl -s -u ${WEB_CLIENT.clientId}:${WEB_CLIENT.clientSecret} -d grant_type=password -d username=${DEMO_USERS[0]?.username} -d password=${DEMO_USERS[0]?.password} ${urls['authorization-server']}/oauth/token
  curl -s -u ${PARTNER_CLIENT.clientId}:${PARTNER_CLIENT.clientSecret} -d "token=$OPAQUE_TOKEN" ${urls['authorization-server']}/oauth/revoke

Ctrl-C stops everything.
`;

/** A client-credentials token for the demo partner, as its integration would obtain one. */
async function partnerAccessToken(authorizationServer: string): Promise<string> {
  const res = await request(`${authorizationServer}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${PARTNER_CLIENT.clientId}:${PARTNER_CLIENT.clientSecret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.body.json()) as { access_token?: string };
  if (res.statusCode !== 200 || !body.access_token) throw new Error(`the demo authorization server refused a token (HTTP ${res.statusCode})`);
  return body.access_token;
}

async function main(): Promise<void> {
  const started = Date.now();
  const keys = await ensureDevKeys();
  const token = await mintDevToken({ sub: '1', scope: 'profile orders:read', ttlSec: 12 * 3600 });
  const { key: apiKey } = createApiKeyInFile(keys.apiKeysFile, { clientId: 'demo-partner', plan: 'pro', scopes: ['orders:read', 'orders:write', 'customers:read'] }, { replaceClient: true });
  let shuttingDown = false;
  const stack = await startStack({
    processes: STACK,
    host: process.env.HOST ?? STACK_HOST,
    // Request logs of eight processes would drown the console; LOG_LEVEL=info brings them back.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    output: (name, line) => process.stdout.write(`[${name.padEnd(9)}] ${line}\n`),
    onUnexpectedExit: (name, code, signal) => {
      if (shuttingDown) return;
      process.stderr.write(`${name} exited unexpectedly (code ${code}, signal ${signal}); stopping the stack\n`);
      void shutdown(1);
    },
  });
  const shutdown = async (code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    process.stdout.write('Stopping the stack...\n');
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.stdout.write(EXAMPLES(stack.urls, token, apiKey, await partnerAccessToken(stack.urls['authorization-server'] as string)));
  process.stdout.write(`Started in ${Date.now() - started} ms.\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`Failed to start the stack: ${(err as Error).message}\n`);
  process.exit(1);
});
