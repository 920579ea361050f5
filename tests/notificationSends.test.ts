// Each notification is sent once, against a real SMTP server on loopback (smtp-server)
// counting what it receives by Message-ID: a database error after a successful send is
// retried as a write, not as a send; two senders on one database whose sends are slower
// than their hold on a notification never both send it; and a sender that died between
// sending and recording leaves a notification that is sent again, with the same
// Message-ID (the email channel's "at least once").
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { failFirstSentWrite } from './support/failingSentWrite.js';
import { SMTPServer } from 'smtp-server';
import { createMetrics } from '../platform/metrics.js';
import { emailChannel } from '../subgraphs/notifications/channels.js';
import { createSender } from '../subgraphs/notifications/delivery.js';
import { usersRecipientLookup } from '../subgraphs/notifications/recipients.js';
import type { NotificationsService } from '../subgraphs/notifications/server.js';
import type { UsersService } from '../subgraphs/users/server.js';
import { truncateAll } from './support/execute.js';
import { captureLog } from './support/logs.js';
import { bootNotifications, bootUsers } from './support/services.js';
import { waitFor } from './support/wait.js';

const ADA = '5b0c8a3e-6f0e-4c1a-9d1e-0a0000000001'; // a demo customer, ada@example.com
const patiently = { timeoutMs: 120_000, everyMs: 50 };

let sink: SMTPServer;
let smtpUrl: string;
/** How long the server takes to accept each message (a slow mail server). */
let acceptAfterMs = 0;
/** Runs when a message has arrived, before the server accepts it. */
let beforeAccepting: ((messageId: string) => Promise<void>) | undefined;
const received: string[] = []; // the Message-ID of each message accepted
let users: UsersService;
let usersUrl: string;
let notifications: NotificationsService;

beforeAll(async () => {
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      stream.on('end', () => {
        const messageId = /^Message-ID: (.+)$/im.exec(text)?.[1]?.trim() ?? '?';
        const accept = () => {
          received.push(messageId);
          callback();
        };
        void Promise.resolve(beforeAccepting?.(messageId)).then(() => (acceptAfterMs > 0 ? setTimeout(accept, acceptAfterMs) : accept()));
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(sink.server.address() as AddressInfo).port}`;
  users = await bootUsers({ demoData: true });
  usersUrl = (await users.listen(0, '127.0.0.1')).url;
  notifications = await bootNotifications({ usersUrl, env: { SMTP_URL: smtpUrl, NOTIFY_SWEEP_MS: '50', NOTIFY_RETRY_BASE_MS: '50' } });
  await notifications.listen(0, '127.0.0.1');
}, 180_000);
afterAll(async () => {
  await notifications?.stop();
  await users?.stop();
  await new Promise<void>((resolve) => sink.close(resolve));
});
beforeEach(async () => {
  await truncateAll(notifications.database);
  received.length = 0;
  acceptAfterMs = 0;
  beforeAccepting = undefined;
});

/** Stores `count` notifications for Ada, waiting to be sent; answers their ids. */
async function stored(count: number, fields: Record<string, unknown> = {}): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    userId: ADA,
    eventId: randomUUID(),
    orderId: randomUUID(),
    kind: 'order.placed',
    channel: 'email',
    subject: `Order confirmation ${i}`,
    body: 'Thank you for your order.',
    eventAt: new Date(),
    ...fields,
  }));
  await notifications.prisma.notification.createMany({ data: rows as never });
  return rows.map((row) => row.id);
}
const messageId = (id: string) => `<${id}@notifications.supergraph>`;
const times = (id: string) => received.filter((each) => each === messageId(id)).length;
const allSent = (ids: string[]) =>
  waitFor('every notification SENT', async () => (await notifications.prisma.notification.count({ where: { id: { in: ids }, deliveryStatus: 'SENT' } })) === ids.length, patiently);

describe('sending once', () => {
  it('a database error after a successful send is retried as a write: one email, and the notification ends SENT', async () => {
    const fault = await failFirstSentWrite(notifications.database, 'notifications');
    try {
      const [id] = await stored(1); // the service's own sender picks it up (it sweeps every 50 ms)
      await allSent([id!]);
      expect(await fault.writes()).toBeGreaterThanOrEqual(2); // the fault did happen
      expect(times(id!)).toBe(1);
      expect(await notifications.prisma.notification.findUniqueOrThrow({ where: { id: id! } })).toMatchObject({ deliveryStatus: 'SENT', deliveryAttempts: 1, lastError: null, sentAt: expect.any(Date) });
    } finally {
      await fault.remove();
    }
  }, 180_000);

  it('two senders on one database, each send slower than the hold: every notification sent once', async () => {
    acceptAfterMs = 3000;
    const claimMs = 1500;
    const ids = await stored(4);
    const log = captureLog('notifications').log;
    // Two more senders beside the service's own (three in all, as three instances would be).
    const senders = ['a', 'b'].map((name) =>
      createSender({
        channel: emailChannel({ smtpUrl, from: 'Shop <shop@example.com>', timeoutMs: 30_000 }),
        lookup: usersRecipientLookup({ url: usersUrl, timeoutMs: 30_000, tokens: notifications.tokens }),
        settings: { intervalMs: 50, maxAttempts: 3, retryBaseMs: 50, claimMs },
        metrics: createMetrics(`sender-${name}`),
      }),
    );
    const stops = senders.map((sender) => sender.start(notifications.prisma, log));
    try {
      await allSent(ids);
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
    expect(ids.map(times)).toEqual([1, 1, 1, 1]);
    expect(received).toHaveLength(4);
    const rows = await notifications.prisma.notification.findMany({ where: { id: { in: ids } } });
    expect(rows.map((row) => row.deliveryAttempts)).toEqual([1, 1, 1, 1]);
  }, 180_000);

  it('a notification its sender left SENDING (it died between sending and recording) is sent again, with the same Message-ID', async () => {
    const [id] = await stored(1, { deliveryStatus: 'SENDING', deliveryAttempts: 1, nextAttemptAt: new Date(Date.now() - 1000), claimToken: randomUUID() });
    await allSent([id!]);
    expect(times(id!)).toBe(1);
    expect(await notifications.prisma.notification.findUniqueOrThrow({ where: { id: id! } })).toMatchObject({ deliveryStatus: 'SENT', deliveryAttempts: 2 });
  }, 180_000);

  it('a notification deleted while it is being sent holds up nothing', async () => {
    const ids = await stored(2);
    let deleted: string | undefined;
    beforeAccepting = async (messageId) => {
      if (deleted) return;
      deleted = ids.find((id) => messageId === `<${id}@notifications.supergraph>`);
      await notifications.prisma.notification.delete({ where: { id: deleted! } });
    };
    const other = await waitFor('the first send', async () => deleted !== undefined, patiently).then(() => ids.find((id) => id !== deleted)!);
    await allSent([other]);
    expect(times(other)).toBe(1);
    expect(await notifications.prisma.notification.count()).toBe(1);
  }, 180_000);

  it('one still held by a live sender is left alone', async () => {
    const [id] = await stored(1, { deliveryStatus: 'SENDING', deliveryAttempts: 1, nextAttemptAt: new Date(Date.now() + 3_600_000), claimToken: randomUUID() });
    const [other] = await stored(1);
    await allSent([other!]); // the sender has run past it
    expect(times(id!)).toBe(0);
    expect(await notifications.prisma.notification.findUniqueOrThrow({ where: { id: id! } })).toMatchObject({ deliveryStatus: 'SENDING', deliveryAttempts: 1 });
  }, 180_000);
});
