// The storefront in a real browser (Debian's Chromium, driven by playwright-core) against
// the stack as `npm start` runs it: the four subgraphs, the gateway and the storefront's
// server, each its own process, on the embedded databases. The gateway runs in safelist
// mode (PERSISTED_DOCUMENTS=required with the storefront's manifest), so every page here
// also proves the storefront works on persisted ids alone. The tests' own API calls use
// the same manifest. Run in CI's PGlite phase only: the browser and the pages are the same
// on PostgreSQL, and the stack there is what the rest of the suite covers.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { fromRoot } from '../platform/paths.js';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { waitForLiveAt } from './support/live.js';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';
import { waitFor } from './support/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Fresh profile per launch, and none of the background connections that a machine without
// internet refuses many at a time.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = process.env.SCREENSHOTS_DIR ?? fromRoot('dist', 'screenshots');
const MANIFEST = fromRoot('web', 'persisted-query-manifest.json');
/** How long a page may take to show what a test waits for, on a busy machine. */
const SHOWS_WITHIN_MS = 30_000;

const suite = process.env.TEST_POSTGRES_URL ? describe.skip : describe;

let processes: ServiceProcesses;
let browser: Browser;
let storefront: string;
let gatewayUrl: string;
let operationIds: Map<string, string>;
let adminToken: string;
/** Every request a shopper's page sent to the gateway (the explorer's are its own). */
const sentToGateway: { operationName?: string; query?: unknown; extensions?: any; variables?: any }[] = [];

// The storefront's own operations, by id, as a second client of its persisted query list.
async function persisted<T = any>(name: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ data?: T; errors?: any[] }> {
  const id = operationIds.get(name);
  if (!id) throw new Error(`${name} is not in the storefront's persisted query list`);
  const response = await fetch(gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ operationName: name, variables, extensions: { persistedQuery: { version: 1, sha256Hash: id } } }),
  });
  return (await response.json()) as { data?: T; errors?: any[] };
}

async function newProduct(stock: number, priceCents = 2500): Promise<{ id: string; name: string }> {
  const tag = randomUUID().slice(0, 8);
  const result = await persisted('CreateProduct', { input: { sku: `T-${tag}`, name: `Test lamp ${tag}`, priceCents, stock } }, adminToken);
  if (!result.data) throw new Error(`createProduct: ${JSON.stringify(result.errors)}`);
  return result.data.createProduct;
}

async function availableOf(productId: string): Promise<number> {
  return (await persisted('ProductStock', { id: productId })).data.product.available;
}

async function shopper(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
  context.on('request', (request) => {
    if (request.url() === gatewayUrl && request.method() === 'POST') sentToGateway.push(JSON.parse(request.postData() ?? '{}'));
  });
  const page = await context.newPage();
  page.setDefaultTimeout(SHOWS_WITHIN_MS);
  return { context, page };
}

async function signUp(page: Page, name: string): Promise<{ email: string; token: string }> {
  const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
  await page.goto(`${storefront}/signup`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a long enough password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return { email, token: await page.evaluate(() => JSON.parse(localStorage.getItem('storefront.token')!).token as string) };
}

async function logIn(page: Page, email: string, password: string) {
  await page.goto(`${storefront}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function addToCart(page: Page, product: { id: string; name: string }, quantity = 1) {
  await page.goto(`${storefront}/products/${product.id}`);
  await page.getByRole('heading', { name: product.name }).waitFor();
  await page.getByLabel('Quantity').fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByText(`Added ${quantity} to your cart.`).waitFor();
}

async function myOrders(token: string) {
  return (await persisted('MyOrders', { first: 50 }, token)).data.me.orders as { totalCount: number; nodes: { id: string; status: string; items: { quantity: number; product: { id: string } }[] }[] };
}

const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

suite('the storefront in a browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH.`);
    if (!existsSync(MANIFEST)) throw new Error(`${MANIFEST} is missing: build the storefront (npm test and npm start do; or npm run build in web/).`);
    operationIds = new Map((JSON.parse(readFileSync(MANIFEST, 'utf8')).operations as { name: string; id: string }[]).map(({ name, id }) => [name, id]));
    await mkdir(SCREENSHOTS, { recursive: true });
    processes = await serviceProcesses({ PERSISTED_DOCUMENTS: 'required' });
    // One after another, as npm start does: two cores gain nothing from four databases starting at once.
    for (const name of ['users', 'inventory', 'orders', 'notifications', 'gateway', 'storefront'] as const) await processes.start(name);
    storefront = `http://localhost:${processes.ports.storefront}`;
    // The storefront's GATEWAY_URL: what its pages call.
    gatewayUrl = processes.url('gateway');
    adminToken = (await persisted('LogIn', { email: DEV_ADMIN_EMAIL, password: DEV_ADMIN_PASSWORD })).data.logIn.token;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await processes?.dispose();
  });

  it('shows the catalogue, searches it and pages through it', async () => {
    const { context, page } = await shopper();
    await page.goto(storefront);
    const products = page.getByRole('list', { name: 'Products' });
    await products.waitFor();
    // Navigation start to the first products on screen (the page marks it), for the README.
    const firstRender = await page.evaluate(() => Math.round(performance.getEntriesByName('catalogue-rendered')[0]!.startTime));
    console.log(`time to first catalogue render: ${firstRender} ms`);
    expect(await products.getByRole('listitem').count()).toBe(12);
    await screenshot(page, 'catalogue');

    const firstPage = await products.getByRole('listitem').first().getAttribute('aria-label');
    await page.getByRole('link', { name: 'Next page →' }).click();
    await page.waitForURL(/after=/);
    await page.getByRole('button', { name: '← Previous page' }).waitFor();
    expect(await products.getByRole('listitem').first().getAttribute('aria-label')).not.toBe(firstPage);
    await page.getByRole('button', { name: '← Previous page' }).click();
    await products.getByRole('listitem', { name: firstPage! }).waitFor();

    await page.getByRole('searchbox', { name: 'Search products' }).fill('keyboard');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/matching “keyboard”/).waitFor();
    const names = await products.getByRole('listitem').evaluateAll((items) => items.map((item) => item.getAttribute('aria-label')));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/keyboard/i);
    await context.close();
  }, 120_000);

  it('signs a new shopper up, places one order for a double click, and delivers its confirmation to the inbox', async () => {
    const { context, page } = await shopper();
    const product = await newProduct(5);
    const { token } = await signUp(page, 'Lin');
    await addToCart(page, product, 2);
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('cell', { name: product.name }).waitFor();
    await screenshot(page, 'cart');
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.getByText(/Order placed/).waitFor();

    const orders = await myOrders(token);
    expect(orders.totalCount).toBe(1);
    expect(orders.nodes[0]!.items).toEqual([expect.objectContaining({ quantity: 2, product: expect.objectContaining({ id: product.id }) })]);
    expect(await availableOf(product.id)).toBe(3);

    // The confirmation arrives through the order events a moment later; the header counts it.
    await page.getByRole('link', { name: 'Inbox, 1 unread' }).click();
    const confirmation = page.getByRole('listitem', { name: `Order confirmation #${orders.nodes[0]!.id.slice(-8).toUpperCase()}` });
    await confirmation.waitFor();
    await screenshot(page, 'inbox');
    await confirmation.getByRole('button', { name: 'Mark as read' }).click();
    await confirmation.getByRole('button', { name: 'Mark as read' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Inbox', exact: true }).waitFor();
    await context.close();
  }, 120_000);

  it('asks to log in again when the gateway refuses the token, then returns to the page', async () => {
    const { context, page } = await shopper();
    const { email } = await signUp(page, 'Kay');
    // A token the gateway no longer accepts (as after it expired, or the secret was rotated).
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('storefront.token')!);
      localStorage.setItem('storefront.token', JSON.stringify({ ...session, token: `${session.token.slice(0, -6)}AAAAAA` }));
    });
    await page.goto(`${storefront}/orders`);
    await page.getByText('Your session has ended. Log in again to continue.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'My orders' }).waitFor();
    await page.getByText('No orders yet.').waitFor();
    await context.close();
  }, 120_000);

  it('sends a checkout whose answer was lost again with the same key: one order', async () => {
    const { context, page } = await shopper();
    const product = await newProduct(5);
    const { token } = await signUp(page, 'Grace');
    await addToCart(page, product);
    await page.goto(`${storefront}/cart`);
    // The first placeOrder reaches the gateway and is carried out, but its answer is lost.
    const keys: string[] = [];
    await page.route(gatewayUrl, async (route) => {
      const body = JSON.parse(route.request().postData() ?? '{}');
      if (body.operationName !== 'PlaceOrder') return route.continue();
      keys.push(body.variables.input.idempotencyKey);
      if (keys.length > 1) return route.continue();
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText(/Order placed/).waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await myOrders(token)).totalCount).toBe(1);
    expect(await availableOf(product.id)).toBe(4);
    await context.close();
  }, 120_000);

  it('lets exactly one of two buyers have the last unit, and shows the other the refusal', async () => {
    const { context, page } = await shopper();
    const product = await newProduct(1);
    const { token } = await signUp(page, 'Ada');
    const rival = (await persisted('SignUp', { input: { name: 'Rival', email: `rival-${randomUUID().slice(0, 8)}@example.com`, password: 'a long enough password' } })).data.signUp.token;
    await addToCart(page, product);
    await page.goto(`${storefront}/cart`);

    // One through the page, one through the API, at once.
    const [, api] = await Promise.all([
      page.getByRole('button', { name: 'Place order' }).click(),
      persisted('PlaceOrder', { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() } }, rival),
    ]);
    await page.getByText(/Order placed|Not enough stock/).first().waitFor();
    const pageWon = await page.getByText(/Order placed/).isVisible();
    const apiWon = Boolean(api.data?.placeOrder);
    expect([pageWon, apiWon].filter(Boolean)).toHaveLength(1);
    if (!apiWon) expect(api.errors?.map((error) => error.extensions.code)).toEqual(['OUT_OF_STOCK']);
    expect((await myOrders(token)).totalCount + (await myOrders(rival)).totalCount).toBe(1);
    expect(await availableOf(product.id)).toBe(0);

    // Whoever won, the page now shows the refusal to a shopper who wants the unit that is gone.
    if (pageWon) {
      await addToCart(page, product);
      await page.goto(`${storefront}/cart`);
      await page.getByRole('button', { name: 'Place order' }).click();
    }
    const refusal = page.getByRole('alert');
    await refusal.getByText(`${product.name} has 0 available, you asked for 1.`).waitFor();
    await screenshot(page, 'out-of-stock');
    await refusal.getByRole('button', { name: 'Remove it' }).click();
    await page.getByText('Your cart is empty.').waitFor();
    await context.close();
  }, 120_000);

  it('lets a shopper set a phone number and turn texts on, and says what is wrong with a bad number', async () => {
    const { context, page } = await shopper();
    const { token } = await signUp(page, 'Hedy');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    expect(await page.getByLabel('Email me').isChecked()).toBe(true);
    expect(await page.getByLabel('Text me (SMS)').isChecked()).toBe(false);

    await page.getByLabel('Phone number').fill('555 0100');
    await page.getByLabel('Text me (SMS)').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').getByText(/E\.164/).waitFor();

    await page.getByLabel('Phone number').fill('+1 415 555 0100');
    await page.getByLabel('Text me (SMS)').check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    expect((await persisted('MySettings', {}, token)).data.me).toMatchObject({ phone: '+14155550100', notificationPreferences: { email: true, sms: true } });
    await context.close();
  }, 120_000);

  it('returns the unit of a cancelled order to the catalogue', async () => {
    const { context, page } = await shopper();
    const product = await newProduct(3);
    await signUp(page, 'Alan');
    await addToCart(page, product);
    await page.goto(`${storefront}/cart`);
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText(/Order placed/).waitFor();

    await page.getByRole('link', { name: 'See my orders' }).click();
    const order = page.getByRole('list', { name: 'Orders' }).getByRole('listitem').filter({ hasText: product.name });
    await order.getByText('PENDING').waitFor();
    await screenshot(page, 'orders');
    await order.getByRole('button', { name: 'Cancel order' }).click();
    await order.getByText('CANCELLED').waitFor();

    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('searchbox', { name: 'Search products' }).fill(product.name);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('listitem', { name: product.name }).getByText('3 available').waitFor();
    await context.close();
  }, 120_000);

  it('lets an admin find a customer, complete their order, and create and restock a product', async () => {
    const customer = await shopper();
    const product = await newProduct(4);
    const { token } = await signUp(customer.page, 'Edsger');
    const placed = (await persisted('PlaceOrder', { input: { items: [{ productId: product.id, quantity: 2 }], idempotencyKey: randomUUID() } }, token)).data.placeOrder;

    const { context, page } = await shopper();
    await logIn(page, DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('searchbox', { name: 'Find a customer' }).fill('edsger');
    await page.getByRole('button', { name: 'Find' }).first().click();
    await page.getByRole('button', { name: "Show Edsger's orders" }).first().click();
    await page.getByText('Customer: Edsger').waitFor();
    const row = page.getByRole('row', { name: `Order #${placed.id.slice(-8).toUpperCase()}` });
    await row.getByText(/Edsger <edsger-.*@example.com>/).waitFor();
    await page.getByRole('heading', { name: 'Admin' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'admin');
    await row.getByRole('button', { name: 'Complete' }).click();
    await row.getByText('COMPLETED').waitFor();
    expect((await myOrders(token)).nodes[0]!.status).toBe('COMPLETED');

    const form = page.getByRole('form', { name: 'New product' });
    const sku = `N-${randomUUID().slice(0, 8)}`;
    await form.getByLabel('SKU').fill(sku);
    await form.getByLabel('Name').fill(`Desk fan ${sku}`);
    await form.getByLabel('Price ($)').fill('24.50');
    await form.getByLabel('Stock').fill('2');
    await form.getByRole('button', { name: 'Create product' }).click();
    await form.getByText(`Created Desk fan ${sku}.`).waitFor();
    await page.getByRole('searchbox', { name: 'Find a product' }).fill(sku);
    await page.getByRole('button', { name: 'Find' }).last().click();
    const stockRow = page.getByRole('row', { name: `Desk fan ${sku}` });
    await stockRow.getByRole('spinbutton').fill('8');
    await stockRow.getByRole('button', { name: 'Restock' }).click();
    await stockRow.getByRole('cell', { name: '10', exact: true }).first().waitFor();
    await context.close();
    await customer.context.close();
  }, 120_000);

  it("shows the customer's open page an order's new status and a new notification, without a reload", async () => {
    const product = await newProduct(5);
    // No page of an earlier test still subscribed, so the counts below are this page's.
    await waitForLiveAt(processes.metricsUrl('orders'), 'orderUpdated', 0);
    await waitForLiveAt(processes.metricsUrl('notifications'), 'notificationAdded', 0);
    const { context, page } = await shopper();
    const { token } = await signUp(page, 'Grace');
    // Signed in, every page's header listens for notifications; the orders' confirmations come after.
    await waitForLiveAt(processes.metricsUrl('notifications'), 'notificationAdded', 1);
    const place = async () => (await persisted('PlaceOrder', { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() } }, token)).data.placeOrder.id as string;
    const [toComplete, toCancel] = [await place(), await place()];

    await page.getByRole('link', { name: 'My orders' }).click();
    const card = (id: string) => page.getByRole('listitem', { name: `Order #${id.slice(-8).toUpperCase()}` });
    await card(toComplete!).getByText('PENDING').waitFor();
    await card(toCancel!).getByText('PENDING').waitFor();
    await page.getByRole('link', { name: 'Inbox, 2 unread' }).waitFor();
    // The orders page's subscription has reached orders, which publishes the changes.
    await waitForLiveAt(processes.metricsUrl('orders'), 'orderUpdated', 1);
    await page.evaluate(() => ((globalThis as unknown as { stillTheSamePage: boolean }).stillTheSamePage = true));

    expect((await persisted('CompleteOrder', { id: toComplete }, adminToken)).errors).toBeUndefined();
    expect((await persisted('CancelOrder', { id: toCancel }, adminToken)).errors).toBeUndefined();
    await card(toComplete!).getByText('COMPLETED').waitFor();
    await card(toCancel!).getByText('CANCELLED').waitFor();
    // Each change is also a notification: the badge counts them as they arrive.
    await page.getByRole('link', { name: 'Inbox, 4 unread' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await screenshot(page, 'orders-live');
    await context.close();
  }, 120_000);

  it('sent the gateway persisted ids, never a document', () => {
    expect(sentToGateway.length).toBeGreaterThan(20);
    const withDocuments = sentToGateway.filter((body) => body.query !== undefined || !body.extensions?.persistedQuery?.sha256Hash);
    expect(withDocuments.map((body) => body.operationName)).toEqual([]);
  });

  it('has an explorer that works offline: schema docs, the token in its headers, operations run', async () => {
    // Free-form operations are what an explorer is for: the gateway leaves safelist mode.
    await processes.signal('gateway', 'SIGTERM');
    await processes.start('gateway', { PERSISTED_DOCUMENTS: 'optional' });
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(SHOWS_WITHIN_MS);
    // Nothing but this machine: a request anywhere else (a CDN) fails the test.
    const elsewhere: string[] = [];
    await context.route((url) => !['localhost', '127.0.0.1'].includes(url.hostname), (route) => {
      elsewhere.push(route.request().url());
      return route.abort();
    });
    await logIn(page, DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Explorer' }).click();
    // GraphiQL's editors start asynchronously, and a click before the operation editor is
    // attached runs nothing: click until a result shows. (Monaco spreads text over many elements.)
    const result = page.locator('.result-window').filter({ hasText: '"totalCount"' });
    await waitFor('the explorer to run its operation', async () => {
      await page.getByRole('button', { name: /Execute query/ }).click();
      return result.waitFor({ timeout: 2000 }).then(() => true, () => false);
    }, { timeoutMs: SHOWS_WITHIN_MS });
    await page.getByRole('button', { name: /Documentation Explorer/ }).click();
    await page.getByText('Root Types').waitFor();
    await page.locator('.graphiql-editor').filter({ hasText: '"Bearer ey' }).waitFor();
    await screenshot(page, 'explorer');
    expect(elsewhere).toEqual([]);
    await context.close();
  }, 180_000);

  it('keeps the catalogue and my orders on screen, with a notice, when the inventory process dies', async () => {
    const { context, page } = await shopper();
    const product = await newProduct(3);
    const { token } = await signUp(page, 'Barbara');
    await persisted('PlaceOrder', { input: { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: randomUUID() } }, token);
    await page.goto(storefront);
    const products = page.getByRole('list', { name: 'Products' });
    await products.waitFor();
    const shown = await products.getByRole('listitem').count();

    await processes.signal('inventory', 'SIGKILL');
    await page.getByText('Live stock is unavailable right now').waitFor();
    expect(await products.getByRole('listitem').count()).toBe(shown);
    expect(await products.getByText('stock unavailable').count()).toBe(shown);
    await screenshot(page, 'catalogue-inventory-down');

    await page.getByRole('link', { name: 'My orders' }).click();
    await page.getByText('Some details are missing: the stock and products service is unavailable right now.').waitFor();
    await page.getByRole('list', { name: 'Orders' }).getByText('product details unavailable').waitFor();
    await page.reload();
    await page.getByRole('list', { name: 'Orders' }).getByText('product details unavailable').waitFor();

    // A fresh visit has no names to show: it says so, and offers to try again.
    await page.goto(storefront);
    await page.getByRole('alert').getByText('The stock and products service is unavailable right now.').waitFor();
    await page.getByRole('button', { name: 'Try again' }).waitFor();
    await context.close();
  }, 120_000);
});
