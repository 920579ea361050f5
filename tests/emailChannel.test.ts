// The email channel against a real SMTP server on loopback (smtp-server, as a sink that
// can refuse): a notification is mailed to the address the users subgraph holds, a
// refused send is retried with backoff and its status shows it, and one that never gets
// through ends FAILED, still readable in the app.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import type { OrderEvent } from '../platform/events.js';
import type { NotificationsService } from '../subgraphs/notifications/server.js';
import type { UsersService } from '../subgraphs/users/server.js';
import { customer, execute, service, truncateAll } from './support/execute.js';
import { bootNotifications, bootUsers } from './support/services.js';
import { counterValue, waitFor } from './support/wait.js';

const ADA = '5b0c8a3e-6f0e-4c1a-9d1e-0a0000000001'; // a demo customer, ada@example.com
const RECEIVE = 'mutation($events: [String!]!) { receiveOrderEvents(events: $events) { outcome } }';
const UPDATE_ME = 'mutation($input: UpdateMeInput!) { updateMe(input: $input) { notificationPreferences { email sms } } }';

interface Mail {
  to: string[];
  text: string;
}

let sink: SMTPServer;
let port: number;
let refuseNext = 0;
const mails: Mail[] = [];
let users: UsersService;
let notifications: NotificationsService;

beforeAll(async () => {
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      stream.on('end', () => {
        if (refuseNext > 0) {
          refuseNext -= 1;
          return callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }));
        }
        mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), text });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  port = (sink.server.address() as AddressInfo).port;
  users = await bootUsers({ demoData: true });
  const usersServer = await users.listen(0, '127.0.0.1');
  notifications = await bootNotifications({
    usersUrl: usersServer.url,
    env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Shop <shop@example.com>', NOTIFY_SWEEP_MS: '50', NOTIFY_RETRY_BASE_MS: '50', NOTIFY_MAX_ATTEMPTS: '4' },
  });
});
afterAll(async () => {
  await notifications.stop();
  await users.stop();
  await new Promise<void>((resolve) => sink.close(resolve));
});
beforeEach(async () => {
  await truncateAll(notifications.database);
  mails.length = 0;
  refuseNext = 0;
});

async function placed(): Promise<string> {
  const orderId = randomUUID();
  const event: OrderEvent = {
    id: randomUUID(),
    type: 'order.placed',
    version: 1,
    occurredAt: new Date().toISOString(),
    orderId,
    sequence: 1,
    data: { userId: ADA, status: 'PENDING', totalCents: 4200, items: [{ productId: randomUUID(), name: 'Desk Lamp', quantity: 2, unitPriceCents: 2100 }] },
  };
  const result = await execute(notifications.server, RECEIVE, { events: [JSON.stringify(event)] }, service('orders'));
  expect(result.data?.receiveOrderEvents).toEqual([{ outcome: 'APPLIED' }]);
  return orderId;
}

/** The order's notification once the sender is done with it (SENT or FAILED, or one of `outcomes`). */
async function settled(orderId: string, outcomes = ['SENT', 'FAILED']) {
  const note = () => notifications.prisma.notification.findFirstOrThrow({ where: { orderId } });
  await waitFor('the notification sent or given up', async () => outcomes.includes((await note()).deliveryStatus), { timeoutMs: 15_000, everyMs: 25 });
  return note();
}

const sends = (outcome: string) => counterValue(notifications.metrics.registry, 'notification_sends_total', 'outcome', outcome);

describe('the email channel', () => {
  it('mails the order confirmation to the buyer’s address from the users subgraph, after two refusals', async () => {
    refuseNext = 2;
    const retriesBefore = await sends('retry');
    const orderId = await placed();
    const note = await settled(orderId);
    expect(note).toMatchObject({ channel: 'email', deliveryStatus: 'SENT', deliveryAttempts: 3, lastError: null, sentAt: expect.any(Date) });
    expect(await sends('retry')).toBe(retriesBefore + 2);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['ada@example.com']);
    expect(mails[0]!.text).toContain(`Subject: Order confirmation #${orderId.slice(-8).toUpperCase()}`);
    expect(quotedPrintable(mails[0]!.text)).toContain('2 × Desk Lamp at $21.00 = $42.00');
    expect(mails[0]!.text).toContain(`Message-ID: <${note.id}@notifications.supergraph>`);
  });

  it('gives up after the last attempt: FAILED, with the reason kept, and still readable by its owner', async () => {
    refuseNext = 100;
    const orderId = await placed();
    const note = await settled(orderId);
    expect(note).toMatchObject({ deliveryStatus: 'FAILED', deliveryAttempts: 4, lastError: expect.stringContaining('Mailbox busy') });
    expect(mails).toHaveLength(0);
    const read = await execute(
      notifications.server,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { nodes { deliveryStatus deliveryAttempts channel } } } } }',
      { r: [{ __typename: 'User', id: ADA }] },
      customer(ADA),
    );
    expect(read.data?._entities[0].notifications.nodes).toEqual([{ deliveryStatus: 'FAILED', deliveryAttempts: 4, channel: 'email' }]);
  });

  it('mails nothing to a buyer who turned email off: SKIPPED, and still readable by its owner', async () => {
    const off = await execute(users.server, UPDATE_ME, { input: { notificationPreferences: { email: false } } }, customer(ADA));
    expect(off.data?.updateMe.notificationPreferences).toEqual({ email: false, sms: false });
    try {
      const note = await settled(await placed(), ['SKIPPED']);
      expect(note).toMatchObject({ channel: 'email', deliveryStatus: 'SKIPPED', sentAt: null, lastError: null });
      expect(mails).toHaveLength(0);
      const read = await execute(
        notifications.server,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { notifications { nodes { deliveryStatus } } } } }',
        { r: [{ __typename: 'User', id: ADA }] },
        customer(ADA),
      );
      expect(read.data?._entities[0].notifications.nodes).toEqual([{ deliveryStatus: 'SKIPPED' }]);
    } finally {
      await execute(users.server, UPDATE_ME, { input: { notificationPreferences: { email: true } } }, customer(ADA));
    }
  });
});

/** Decodes a quoted-printable body (RFC 2045), as a mail client would. */
function quotedPrintable(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
