import { spawn } from 'node:child_process';
import { Pool } from 'undici';
import { createApiKeyInFile } from '/work/main/shared/dev/api-key-file';
import { ensureDevKeys, mintDevToken } from '/work/main/shared/dev/dev-keys';

const ROOT = '/work/main';
function run(entry: string, env: Record<string, string>) {
  const p = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'error', ...env }, stdio: 'inherit' });
  return p;
}
async function waitOk(url: string) {
  for (let i = 0; i < 200; i++) { try { const r = await fetch(url); if (r.ok) return; } catch {} await new Promise((r) => setTimeout(r, 100)); }
  throw new Error(url);
}
async function load(origin: string, path: string, headers: Record<string, string>, ms: number, conns = 16, body?: string) {
  const pool = new Pool(origin, { connections: conns });
  let n = 0, errors = 0; const end = Date.now() + ms;
  await Promise.all(Array.from({ length: conns }, async () => {
    while (Date.now() < end) {
      const r = await pool.request({ path, method: body ? 'POST' : 'GET', headers, body });
      await r.body.dump();
      if (r.statusCode === 200) n++; else errors++;
    }
  }));
  await pool.close();
  return { rps: Math.round(n / (ms / 1000)), errors };
}
(async () => {
  const keys = await ensureDevKeys();
  const apiKey = createApiKeyInFile(keys.apiKeysFile, { clientId: 'bench', plan: 'enterprise', scopes: [] }, { replaceClient: true }).key;
  const token = await mintDevToken({ sub: '1' });
  const procs = [];
  for (const [name, port] of [['accounts', 4201], ['products', 4202], ['inventory', 4203], ['reviews', 4204], ['orders', 4205]] as const) {
    procs.push(run('supergraph/subgraphs/main.ts', { SUBGRAPH: name, PORT: String(port), ...(name === 'accounts' ? { DEV_JWKS_FILE: keys.jwksFile } : {}) }));
  }
  const up = Object.fromEntries([['ACCOUNTS', 4201], ['PRODUCTS', 4202], ['INVENTORY', 4203], ['REVIEWS', 4204], ['ORDERS', 4205]].map(([n, p]) => [`UPSTREAM_URL_${n}`, `http://127.0.0.1:${p}`]));
  const sg = Object.fromEntries([['ACCOUNTS', 4201], ['PRODUCTS', 4202], ['INVENTORY', 4203], ['REVIEWS', 4204], ['ORDERS', 4205]].map(([n, p]) => [`SUBGRAPH_URL_${n}`, `http://127.0.0.1:${p}/graphql`]));
  const big = { RATE_LIMIT_PER_MIN: '100000000', RATE_LIMIT_PER_IP_PER_MIN: '100000000' };
  procs.push(run('bffs/partner/main.ts', { PORT: '4210', ...up, API_KEYS_FILE: keys.apiKeysFile, ...big }));
  procs.push(run('bffs/partner/main.ts', { PORT: '4211', ...up, AUTH: 'off', RATE_LIMIT: 'off' }));
  const jwt = { JWT_JWKS_URL: 'http://127.0.0.1:4201/.well-known/jwks.json', JWT_ISSUER: 'https://accounts.portico.dev', JWT_AUDIENCE: 'portico-demo' };
  procs.push(run('bffs/web/main.ts', { PORT: '4212', ...sg, ...jwt, ...big }));
  procs.push(run('bffs/web/main.ts', { PORT: '4213', ...sg, AUTH: 'off', RATE_LIMIT: 'off' }));
  for (const p of [4201, 4202, 4203, 4204, 4205]) await waitOk(`http://127.0.0.1:${p}/healthz`);
  for (const p of [4210, 4211, 4212, 4213]) await waitOk(`http://127.0.0.1:${p}/readyz`);
  const q = JSON.stringify({ query: '{ topProducts(first: 5) { name price } }' });
  const gql = { 'content-type': 'application/json' };
  const rows: string[] = [];
  for (let round = 0; round < 2; round++) {
    await load('http://127.0.0.1:4210', '/v1/products/1', { 'x-api-key': apiKey }, 1000);
    const on = await load('http://127.0.0.1:4210', '/v1/products/1', { 'x-api-key': apiKey }, 5000);
    const off = await load('http://127.0.0.1:4211', '/v1/products/1', {}, 5000);
    const direct = await load('http://127.0.0.1:4202', '/products/1', {}, 5000);
    rows.push(`partner passthrough round ${round}: policies on ${on.rps} rps (${on.errors} err), off ${off.rps} rps (${off.errors} err), direct ${direct.rps} rps; on/off ${(on.rps / off.rps).toFixed(2)}`);
    const won = await load('http://127.0.0.1:4212', '/graphql', { ...gql, authorization: `Bearer ${token}` }, 5000, 16, q);
    const woff = await load('http://127.0.0.1:4213', '/graphql', gql, 5000, 16, q);
    rows.push(`web topProducts round ${round}: policies on ${won.rps} rps (${won.errors} err), off ${woff.rps} rps (${woff.errors} err); on/off ${(won.rps / woff.rps).toFixed(2)}`);
  }
  console.log(rows.join('\n'));
  for (const p of procs) p.kill('SIGTERM');
})();
