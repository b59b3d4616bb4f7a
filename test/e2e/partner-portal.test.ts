/**
 * The partner portal in a real browser (Debian's headless Chromium, driven by
 * playwright-core): /docs loads with no console error and no request leaving the BFF's
 * origin, lists every route of v2 and, after the version switch, of v1 (marked deprecated,
 * with its sunset and migration notes), and a try-it call with a pasted demo key returns 200.
 *
 * `CHROMIUM_PATH` picks the browser (jest's global setup finds or installs one: test/helpers/chromium-binary.ts).
 * `PORTAL_SCREENSHOT=docs/partner-portal.png` also writes a screenshot of the page.
 */
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { createPartnerCredentials } from '../helpers/identity';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The scopes `npm start` grants its demo partner key. */
const key = createPartnerCredentials(['orders:read', 'orders:write', 'customers:read']);

/** Starts the browser, or fails with one line saying what to install. */
async function launchChromium(): Promise<Browser> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 15_000 });
  } catch (err) {
    const reason = String((err as Error).message ?? err).split('\n')[0];
    const error = new Error(`Chromium could not start from ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH): ${reason}`);
    error.stack = error.message;
    throw error;
  }
}

let subgraphs: RunningSubgraphs;
let partner: RunningBff;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let origin: string;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];
let bytesTransferred = 0;

beforeAll(async () => {
  browser = await launchChromium();
  subgraphs = await startSubgraphs();
  const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, o]) => [name, { origin: o }]));
  partner = await startPartnerBff(upstreams, { policies: { authn: key.policies.authn, rateLimit: {} } });
  origin = new URL(partner.url).origin;
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Anything not for the BFF is refused and remembered: the portal must work on a closed network.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  page = await context.newPage();
  // A missing element fails its step within seconds, naming it, rather than the whole test's timeout.
  page.setDefaultTimeout(10_000);
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  page.on('requestfinished', (request) => {
    void request.sizes().then((sizes) => {
      bytesTransferred += sizes.responseHeadersSize + sizes.responseBodySize;
    });
  });
}, 30_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await partner?.close();
  await subgraphs?.close();
});

/** `METHOD /path` of every operation the document lists. */
async function documentedOperations(version: string): Promise<string[]> {
  const doc = (await http(`${partner.url}/${version}/openapi.json`)).json as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();
}

/** `METHOD /path` of every operation the page shows (a deprecated one's path has its own class, so by `data-path`). */
async function shownOperations(): Promise<string[]> {
  const rows = await page.locator('.opblock-summary').evaluateAll((summaries) =>
    summaries.map((s) => `${s.querySelector('.opblock-summary-method')?.textContent?.trim()} ${s.querySelector('[data-path]')?.getAttribute('data-path')}`),
  );
  return rows.sort();
}

describe('the partner portal in Chromium', () => {
  it('loads v2 with no console error and no request off the BFF, listing every v2 route', async () => {
    await page.goto(`${partner.url}/docs`, { waitUntil: 'networkidle' });
    await page.locator('.opblock-summary [data-path="/v2/customers/{id}"]').waitFor();
    expect(await shownOperations()).toEqual(await documentedOperations('v2'));
    expect(await page.locator('#select option').allTextContents()).toEqual(['v2', 'v1 (deprecated, sunset 2027-06-30)']);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    // A full page load: the HTML, Swagger UI's assets and the v2 document, headers included.
    process.stdout.write(`partner portal page weight: ${bytesTransferred} bytes transferred\n`);
    expect(bytesTransferred).toBeGreaterThan(0);
  });

  it('tries GET /v2/customers/{id} with a pasted demo key and gets 200', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const apiKeyForm = page.locator('.auth-container').filter({ hasText: 'x-api-key' });
    await apiKeyForm.locator('input').fill(key.headers['x-api-key'] as string);
    await apiKeyForm.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();

    const operation = page.locator('#operations-default-v2_get_v2_customers_id');
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('tr[data-param-name="id"] input').fill('4');
    const answered = page.waitForResponse((response) => response.url() === `${origin}/v2/customers/4`);
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers()['x-api-key']).toBe(key.headers['x-api-key']);
    await expect(operation.locator('.live-responses-table tbody .response-col_status').first().textContent()).resolves.toMatch(/^\s*200/);
    if (process.env.PORTAL_SCREENSHOT) await page.screenshot({ path: path.resolve(process.env.PORTAL_SCREENSHOT), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1700 } });
    expect(consoleErrors).toEqual([]);
  });

  it('switches to v1: every v1 route, deprecated, with its sunset and a link to the migration notes', async () => {
    await page.locator('#select').selectOption({ label: 'v1 (deprecated, sunset 2027-06-30)' });
    await page.locator('.opblock-summary [data-path="/v1/orders/{id}"]').waitFor();
    expect(await shownOperations()).toEqual(await documentedOperations('v1'));
    expect(await page.locator('.opblock').count()).toBe(await page.locator('.opblock.opblock-deprecated').count());
    await expect(page.locator('.info .description').textContent()).resolves.toMatch(/Deprecated since 2026-11-01\. Sunset: 2027-06-30/);
    const notes = page.locator('.info .description a[href="/docs/v1/migration"]');
    await expect(notes.count()).resolves.toBe(1);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });
});
