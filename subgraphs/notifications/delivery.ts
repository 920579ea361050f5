// Sending stored notifications through the channel. A notification is claimed (pushed a
// minute into the future, so another sender skips it), sent, and recorded SENT; a failed
// send is tried again after a backoff that doubles (with jitter) and, after the last
// attempt, recorded FAILED. Its status is on the Notification type and in /metrics.
import { Counter } from 'prom-client';
import type { Logger } from '../../platform/logger.js';
import { scrapeTimeGauge, type Metrics } from '../../platform/metrics.js';
import { kickable, type Kickable } from '../../platform/periodic.js';
import type { Channel, Recipient } from './channels.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { RecipientLookup } from './recipients.js';

const BATCH = 20;
const CLAIM_SECONDS = 60;
const MAX_BACKOFF_MS = 15 * 60_000;

export interface SenderSettings {
  intervalMs: number;
  maxAttempts: number;
  retryBaseMs: number;
}

export interface NotificationSender {
  kick(): void;
  start(prisma: PrismaClient, log: Logger): () => Promise<void>;
}

interface Claimed {
  id: string;
  user_id: string;
  subject: string;
  body: string;
  delivery_attempts: number;
}

/** The wait before attempt `attempt + 1`: base × 2^(attempt-1), capped, ±20 % jitter. */
export function backoffMs(attempt: number, baseMs: number): number {
  const plain = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + Math.random() * 0.4));
}

export function createSender(options: { channel: Channel; lookup?: RecipientLookup; settings: SenderSettings; metrics: Metrics }): NotificationSender {
  const { channel, settings } = options;
  const sends = new Counter({
    name: 'notification_sends_total',
    help: 'Attempts to send a notification, by channel and outcome (sent, retry, failed)',
    labelNames: ['channel', 'outcome'],
    registers: [options.metrics.registry],
  });
  let prisma: PrismaClient | undefined;
  let log: Logger | undefined;
  scrapeTimeGauge(options.metrics, 'notifications_pending', 'Notifications waiting to be sent', () => prisma?.notification.count({ where: { deliveryStatus: 'PENDING' } }));
  let runner: Kickable | undefined;

  /** One pass: returns how many notifications it tried to send. */
  async function sendOnce(): Promise<number> {
    const db = prisma;
    if (!db) return 0;
    const claimed = await db.$queryRaw<Claimed[]>`
      UPDATE notifications SET next_attempt_at = now() + make_interval(secs => ${CLAIM_SECONDS}), delivery_attempts = delivery_attempts + 1
      WHERE id IN (
        SELECT id FROM notifications
        WHERE delivery_status = 'PENDING' AND next_attempt_at <= now()
        ORDER BY next_attempt_at LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, user_id, subject, body, delivery_attempts`;
    if (claimed.length === 0) return 0;
    let recipients: Map<string, Recipient> | undefined;
    let lookupError: unknown;
    if (channel.needsAddress && options.lookup) {
      try {
        recipients = await options.lookup(claimed.map((row) => row.user_id));
      } catch (error) {
        lookupError = error;
      }
    }
    for (const row of claimed) {
      try {
        if (lookupError) throw lookupError;
        const to = recipients?.get(row.user_id) ?? { userId: row.user_id };
        await channel.send({ notificationId: row.id, to, subject: row.subject, body: row.body });
        await db.notification.update({ where: { id: row.id }, data: { deliveryStatus: 'SENT', sentAt: new Date(), nextAttemptAt: null, lastError: null } });
        sends.inc({ channel: channel.name, outcome: 'sent' });
      } catch (error) {
        const reason = (error as Error).message?.slice(0, 500) ?? String(error);
        const last = row.delivery_attempts >= settings.maxAttempts;
        await db.notification.update({
          where: { id: row.id },
          data: last
            ? { deliveryStatus: 'FAILED', nextAttemptAt: null, lastError: reason }
            : { nextAttemptAt: new Date(Date.now() + backoffMs(row.delivery_attempts, settings.retryBaseMs)), lastError: reason },
        });
        sends.inc({ channel: channel.name, outcome: last ? 'failed' : 'retry' });
        log?.warn({ notificationId: row.id, attempt: row.delivery_attempts, err: error }, last ? 'notification could not be sent; giving up' : 'notification not sent; will retry');
      }
    }
    return claimed.length;
  }

  return {
    kick: () => runner?.kick(),
    start(client, logger) {
      prisma = client;
      log = logger;
      // A full batch means more may be waiting: go again at once.
      const pass = () =>
        sendOnce().then(
          (tried) => tried === BATCH,
          (error: unknown) => {
            log?.warn({ err: error }, 'notification sender failed; will try again');
            return false;
          },
        );
      const started = kickable(pass, settings.intervalMs);
      runner = started;
      return async () => {
        runner = undefined;
        await started.stop();
        prisma = undefined;
        await channel.close();
      };
    },
  };
}
