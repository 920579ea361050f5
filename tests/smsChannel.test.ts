// The SMS channel, phone numbers and channel preferences, end to end through the real
// gateway and subgraph servers. The SMS provider is the one boundary we cannot reach here:
// a real local HTTP server stands in for it (`provider` below), answering the documented
// request (docs/channels.md) and recording every request it gets, so each test counts
// exactly what a customer's phone would receive. Over HTTP events (the embedded default)
// and, when TEST_NATS_URL is set, over NATS JetStream.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { failFirstSentWrite } from './support/failingSentWrite.js';
import { smsChannel } from '../subgraphs/notifications/smsChannel.js';
import { deleteStream } from './support/nats.js';
import { startStack, type Stack } from './support/stack.js';
import { waitFor } from './support/wait.js';

const NATS_URL = process.env.TEST_NATS_URL;
const transports = [
  { name: 'HTTP (the embedded default)', env: {} as Record<string, string> },
  ...(NATS_URL ? [{ name: 'NATS JetStream', env: { NATS_URL, NATS_STREAM: `TEST_${randomUUID().slice(0, 8)}` } }] : []),
];

const PROVIDER_TOKEN = 'test-sms-provider-token';
const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const UPDATE_ME = 'mutation($input: UpdateMeInput!) { updateMe(input: $input) { id phone notificationPreferences { email sms } } }';
const soon = { timeoutMs: 30_000, everyMs: 50 };

/** One request as the provider got it. */
interface ProviderRequest {
  authorization?: string;
  idempotencyKey?: string;
  json: { to?: string; body?: string; messageId?: string };
  /** What the stand-in answered. */
  status: number;
}

/** The stand-in for the SMS provider: a real HTTP server on loopback. */
const provider = {
  server: undefined as Server | undefined,
  url: '',
  requests: [] as ProviderRequest[],
  /** Answer this many of the next requests 503, as a provider having a bad minute. */
  failNext: 0,
  /** The requests the provider accepted (2xx): the texts a phone receives. */
  accepted(messageId: string) {
    return this.requests.filter((request) => request.status === 202 && request.json.messageId === messageId);
  },
  tried(messageId: string) {
    return this.requests.filter((request) => request.json.messageId === messageId);
  },
};

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

beforeAll(async () => {
  provider.server = createServer(async (request, response) => {
    const json = JSON.parse(await readBody(request)) as ProviderRequest['json'];
    const status = provider.failNext > 0 ? 503 : 202;
    if (status === 503) provider.failNext -= 1;
    provider.requests.push({ authorization: request.headers.authorization, idempotencyKey: request.headers['idempotency-key'] as string | undefined, json, status });
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 202 ? { id: `sms-${provider.requests.length}` } : { error: 'temporarily unavailable' }));
  });
  await new Promise<void>((resolve) => provider.server!.listen(0, '127.0.0.1', resolve));
  provider.url = `http://127.0.0.1:${(provider.server.address() as AddressInfo).port}/messages`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => provider.server?.close(() => resolve()));
});
beforeEach(() => {
  provider.failNext = 0;
});

describe.each(transports)('the SMS channel, with order events over $name', ({ env }) => {
  let stack: Stack;
  let product: { id: string; name: string; priceCents: number };

  beforeAll(async () => {
    stack = await startStack({
      demoData: true,
      env: { SMS_PROVIDER_URL: provider.url, SMS_PROVIDER_TOKEN: PROVIDER_TOKEN, OUTBOX_RELAY_MS: '100', NOTIFY_SWEEP_MS: '50', NOTIFY_RETRY_BASE_MS: '50', NOTIFY_MAX_ATTEMPTS: '5', ...env },
    });
    const products = (await stack.query('{ products(first: 50) { nodes { id name priceCents available } } }')).data.products.nodes as { id: string; name: string; priceCents: number; available: number }[];
    product = products.sort((a, b) => b.available - a.available)[0]!;
  });
  afterAll(async () => {
    await stack?.stop();
    if (env.NATS_STREAM) await deleteStream(NATS_URL!, env.NATS_STREAM);
  });

  /** A new customer, signed up through the gateway: its id and token. */
  async function newCustomer(): Promise<{ id: string; token: string }> {
    const result = await stack.query('mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }', {
      input: { email: `sms-${randomUUID()}@example.com`, name: 'Grace', password: 'customer-password' },
    });
    return { id: result.data.signUp.user.id, token: result.data.signUp.token };
  }

  /** Places an order of one unit; answers the order id. */
  async function placeOrder(token: string): Promise<string> {
    const result = await stack.query(PLACE, { input: { items: [{ productId: product.id, quantity: 1 }] } }, { token });
    expect(result.errors).toBeUndefined();
    return result.data.placeOrder.id;
  }

  /** The SMS delivery of the order's confirmation, once its sender is done with it. */
  async function smsSettled(orderId: string) {
    const delivery = () => stack.notifications.prisma.smsDelivery.findFirst({ where: { notification: { orderId, kind: 'order.placed' } } });
    await waitFor('the SMS delivery settled', async () => ['SENT', 'SKIPPED', 'FAILED'].includes((await delivery())?.deliveryStatus ?? ''), soon);
    return (await delivery())!;
  }

  describe('who gets a text', () => {
    it('a customer who opted in gets one SMS with the order confirmation, at the E.164 number', async () => {
      const grace = await newCustomer();
      const updated = await stack.query(UPDATE_ME, { input: { phone: '+1 (415) 555-0123', notificationPreferences: { sms: true } } }, { token: grace.token });
      expect(updated.data.updateMe).toEqual({ id: grace.id, phone: '+14155550123', notificationPreferences: { email: true, sms: true } });

      const orderId = await placeOrder(grace.token);
      const delivery = await smsSettled(orderId);
      expect(delivery).toMatchObject({ deliveryStatus: 'SENT', deliveryAttempts: 1, lastError: null, sentAt: expect.any(Date) });
      const texts = provider.tried(delivery.id);
      expect(texts).toHaveLength(1);
      expect(texts[0]).toMatchObject({ authorization: `Bearer ${PROVIDER_TOKEN}`, idempotencyKey: delivery.id, status: 202, json: { to: '+14155550123', messageId: delivery.id } });
      const price = `$${(product.priceCents / 100).toFixed(2)}`;
      expect(texts[0]!.json.body).toBe(
        [`Order confirmation #${orderId.slice(-8).toUpperCase()}`, 'Thank you for your order. We are holding these items for you:', '', `  1 × ${product.name} at ${price} = ${price}`, '', `Total: ${price}`].join('\n'),
      );
      // The app has it too, as always.
      const inbox = await stack.query('{ me { notifications { nodes { id kind } } } }', {}, { token: grace.token });
      expect(inbox.data.me.notifications.nodes).toEqual([{ id: delivery.id, kind: 'order.placed' }]);
    });

    it('no SMS for a customer who did not opt in, even with a phone number: the delivery is SKIPPED', async () => {
      const [noPhone, phoneOnly] = await Promise.all([newCustomer(), newCustomer()]);
      const updated = await stack.query(UPDATE_ME, { input: { phone: '+447700900123' } }, { token: phoneOnly.token });
      expect(updated.data.updateMe.notificationPreferences).toEqual({ email: true, sms: false });

      const orders = await Promise.all([placeOrder(noPhone.token), placeOrder(phoneOnly.token)]);
      for (const orderId of orders) {
        const delivery = await smsSettled(orderId);
        expect(delivery).toMatchObject({ deliveryStatus: 'SKIPPED', sentAt: null });
        expect(provider.tried(delivery.id)).toHaveLength(0);
      }
    });

    it('turning SMS off again stops the texts', async () => {
      const grace = await newCustomer();
      await stack.query(UPDATE_ME, { input: { phone: '+14155550199', notificationPreferences: { sms: true } } }, { token: grace.token });
      const off = await stack.query(UPDATE_ME, { input: { notificationPreferences: { sms: false } } }, { token: grace.token });
      expect(off.data.updateMe).toMatchObject({ phone: '+14155550199', notificationPreferences: { sms: false } });
      const delivery = await smsSettled(await placeOrder(grace.token));
      expect(delivery.deliveryStatus).toBe('SKIPPED');
      expect(provider.tried(delivery.id)).toHaveLength(0);
    });
  });

  describe('sent once', () => {
    it('a provider answering 503 twice is retried with the same message id, and the customer gets one text', async () => {
      const grace = await newCustomer();
      await stack.query(UPDATE_ME, { input: { phone: '+14155550124', notificationPreferences: { sms: true } } }, { token: grace.token });
      provider.failNext = 2;
      const delivery = await smsSettled(await placeOrder(grace.token));
      expect(delivery).toMatchObject({ deliveryStatus: 'SENT', deliveryAttempts: 3, lastError: null });
      expect(provider.tried(delivery.id).map((request) => [request.status, request.idempotencyKey])).toEqual([
        [503, delivery.id],
        [503, delivery.id],
        [202, delivery.id],
      ]);
      expect(provider.accepted(delivery.id)).toHaveLength(1);
    });

    it('a database error after the provider accepted is retried as a write: one text, and the delivery ends SENT', async () => {
      const grace = await newCustomer();
      await stack.query(UPDATE_ME, { input: { phone: '+14155550125', notificationPreferences: { sms: true } } }, { token: grace.token });
      const fault = await failFirstSentWrite(stack.notifications.database, 'sms_deliveries');
      try {
        const delivery = await smsSettled(await placeOrder(grace.token));
        expect(await fault.writes()).toBeGreaterThanOrEqual(2); // the fault did happen
        expect(delivery).toMatchObject({ deliveryStatus: 'SENT', deliveryAttempts: 1, lastError: null });
        expect(provider.tried(delivery.id)).toHaveLength(1);
      } finally {
        await fault.remove();
      }
    });
  });

  describe('phone numbers', () => {
    const invalid = ['4155550123', '+0123456789', '+1 415 CALL NOW', '+1234567', '+1234567890123456', '', '++14155550123'];

    it.each(invalid)('refuses %j with BAD_USER_INPUT on the phone field, changing nothing', async (phone) => {
      const grace = await newCustomer();
      await stack.query(UPDATE_ME, { input: { phone: '+14155550126' } }, { token: grace.token });
      const result = await stack.query(UPDATE_ME, { input: { phone } }, { token: grace.token });
      expect(result.errors?.map((error) => [error.extensions?.code, error.extensions?.field])).toEqual([['BAD_USER_INPUT', 'phone']]);
      expect((await stack.query('{ me { phone } }', {}, { token: grace.token })).data.me.phone).toBe('+14155550126');
    });

    it('refuses SMS without a phone number, and removing the number turns SMS off', async () => {
      const grace = await newCustomer();
      const refused = await stack.query(UPDATE_ME, { input: { notificationPreferences: { sms: true } } }, { token: grace.token });
      expect(refused.errors?.map((error) => [error.extensions?.code, error.extensions?.field])).toEqual([['BAD_USER_INPUT', 'notificationPreferences.sms']]);
      await stack.query(UPDATE_ME, { input: { phone: '+14155550127', notificationPreferences: { sms: true } } }, { token: grace.token });
      const removed = await stack.query(UPDATE_ME, { input: { phone: null } }, { token: grace.token });
      expect(removed.data.updateMe).toMatchObject({ phone: null, notificationPreferences: { email: true, sms: false } });
    });

    it('another customer can neither read nor change someone’s phone; an admin can read it', async () => {
      const [grace, mallory] = await Promise.all([newCustomer(), newCustomer()]);
      await stack.query(UPDATE_ME, { input: { phone: '+14155550128' } }, { token: grace.token });

      const read = await stack.query('query($id: ID!) { user(id: $id) { phone notificationPreferences { sms } } }', { id: grace.id }, { token: mallory.token });
      expect(read.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(read.data?.user ?? null).toBeNull();
      expect(JSON.stringify(read)).not.toContain('4155550128');

      // updateMe takes no id: Mallory's call changes Mallory's account and nobody else's.
      const changed = await stack.query(UPDATE_ME, { input: { phone: '+15555550100' } }, { token: mallory.token });
      expect(changed.data.updateMe.id).toBe(mallory.id);
      expect((await stack.query('{ me { phone } }', {}, { token: grace.token })).data.me.phone).toBe('+14155550128');
      const anonymous = await stack.query(UPDATE_ME, { input: { phone: '+15555550101' } });
      expect(anonymous.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);

      const asAdmin = await stack.query('query($id: ID!) { user(id: $id) { phone } }', { id: grace.id }, { token: await stack.adminToken() });
      expect(asAdmin.data.user.phone).toBe('+14155550128');
    });
  });
});

describe('a provider that never answers', () => {
  it('fails the attempt once SMS_TIMEOUT_MS is spent (never waits unbounded), after the request reached it', async () => {
    // Another stand-in: it reads the request and never answers.
    let reached = 0;
    const silent = createServer((request) => {
      request.resume();
      request.on('end', () => (reached += 1));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const channel = smsChannel({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/messages`, token: PROVIDER_TOKEN, timeoutMs: 1000 });
    try {
      const send = channel.send({ notificationId: randomUUID(), to: { userId: randomUUID(), phone: '+14155550129', preferences: { email: true, sms: true } }, subject: 'Order confirmation', body: 'Thank you.' });
      // The sender counts this as a failed attempt and sends again with the same messageId:
      // the text may have gone out (at least once; docs/channels.md).
      await expect(send).rejects.toThrow(/timeout|aborted/i);
      await waitFor('the request at the provider', async () => reached === 1);
      expect(reached).toBe(1);
    } finally {
      await channel.close().catch(() => {});
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
