// Sending stored notifications through a channel, once. For each delivery due, a sender
// first records its intent (SENDING, the attempt counted, held for `claimMs` under a token
// of its own) and commits it; only then is the channel called. The hold is renewed while
// the send runs, however slow, so another sender (another instance) never sends it too. A
// send that succeeded is recorded SENT, and if that write fails it is retried, not the
// send. A failed send is tried again after a backoff that doubles (with jitter) and, after
// the last attempt, recorded FAILED. A recipient who has not opted in to the channel is
// recorded SKIPPED, unsent. Only a sender that dies between sending and recording leaves a
// SENDING row whose hold runs out; that one is sent again (at least once, with the same
// message id: docs/order-events.md, "Channels").
//
// A delivery is a row with the columns delivery_status, delivery_attempts,
// next_attempt_at, claim_token, sent_at and last_error, whose id is its notification's:
// the notification itself for its main channel (log or email), its sms_deliveries row for
// SMS. One sender works one table; its status is on the Notification type and in /metrics.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter } from 'prom-client';
import { Prisma } from './generated/prisma/client.js';
import { backoffMs } from '../../platform/backoff.js';
import type { Logger } from '../../platform/logger.js';
import { scrapeTimeGauge, type Metrics } from '../../platform/metrics.js';
import { databaseWorker, type DatabaseWorker } from '../../platform/periodic.js';
import { activeContext, inSpan, markFailed, SpanKind, tracingOn, type Context } from '../../platform/tracing.js';
import type { Channel, Recipient } from './channels.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { RecipientLookup } from './recipients.js';

const BATCH = 20;
const MAX_BACKOFF_MS = 15 * 60_000;
/** Retrying the SENT record after a database error: from 100 ms, doubling, at most 5 s apart. */
const RECORD_RETRY_BASE_MS = 100;
const RECORD_RETRY_MAX_MS = 5000;

export interface SenderSettings {
  intervalMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** How long a sender holds a notification it is sending; renewed every quarter of it while it is held. */
  claimMs: number;
}

export type NotificationSender = DatabaseWorker<PrismaClient> & {
  /** Called where a notification was stored: its send joins the current trace (when tracing is on). */
  follow(notificationId: string): void;
};

/** Traces remembered for sends to come: beyond this the oldest are forgotten (their sends start traces of their own). */
const MAX_FOLLOWED = 1000;

/** Where a sender's deliveries are kept: the notifications themselves, or their SMS copies. */
export type DeliveryTable = 'notifications' | 'sms_deliveries';

interface Due {
  id: string;
  user_id: string;
  subject: string;
  body: string;
}

export function createSender(options: { channel: Channel; lookup?: RecipientLookup; settings: SenderSettings; metrics: Metrics; table?: DeliveryTable }): NotificationSender {
  const { channel, settings } = options;
  const table = options.table ?? 'notifications';
  // Trusted: one of the two names above, never input.
  const deliveries = Prisma.raw(`"${table}"`);
  const holdSeconds = settings.claimMs / 1000;
  const sends = sendsCounter(options.metrics);

  async function pass(db: PrismaClient, log: Logger, stopping: AbortSignal): Promise<boolean> {
    // Candidates only: each is taken for real, one at a time, just before its send.
    // The message is the notification's (for the main channel the join is the row itself).
    const due = await db.$queryRaw<Due[]>`
      SELECT d.id, n.user_id, n.subject, n.body FROM ${deliveries} d JOIN notifications n ON n.id = d.id
      WHERE d.delivery_status IN ('PENDING', 'SENDING') AND d.next_attempt_at <= now()
      ORDER BY d.next_attempt_at LIMIT ${BATCH}`;
    if (due.length === 0) return false;
    let recipients: Map<string, Recipient> | undefined;
    let lookupError: unknown;
    if (channel.needsAddress && options.lookup) {
      try {
        recipients = await options.lookup(due.map((row) => row.user_id));
      } catch (error) {
        lookupError = error;
      }
    }
    for (const row of due) {
      if (stopping.aborted) return false;
      await sendOne(db, log, stopping, row, () => {
        if (lookupError) throw lookupError;
        return recipients?.get(row.user_id) ?? { userId: row.user_id };
      });
    }
    return due.length === BATCH;
  }

  // The trace each stored notification was made in, until it is sent. In memory: a send
  // by another instance, or after a restart, starts a trace of its own.
  const followed = new Map<string, Context>();
  function follow(notificationId: string) {
    if (!tracingOn()) return;
    followed.set(notificationId, activeContext());
    if (followed.size > MAX_FOLLOWED) followed.delete(followed.keys().next().value!);
  }

  // Private: the send as a span of the trace that stored the notification.
  async function sendOne(db: PrismaClient, log: Logger, stopping: AbortSignal, row: Due, recipient: () => Recipient): Promise<void> {
    const parent = followed.get(row.id);
    followed.delete(row.id);
    await inSpan('notification send', { kind: SpanKind.CLIENT, parent, attributes: { 'notification.id': row.id, 'notification.channel': channel.name } }, async (span) => {
      const outcome = await claimAndSend(db, log, stopping, row, recipient);
      span.setAttribute('notification.outcome', outcome);
      if (outcome === 'failed') markFailed(span, 'send failed');
    });
  }

  // Private: takes one notification (unless another sender has it), sends it and records what happened.
  async function claimAndSend(db: PrismaClient, log: Logger, stopping: AbortSignal, row: Due, recipient: () => Recipient): Promise<'taken' | 'sent' | 'failed' | 'skipped'> {
    const token = randomUUID();
    const [taken] = await db.$queryRaw<{ delivery_attempts: number }[]>`
      UPDATE ${deliveries}
      SET delivery_status = 'SENDING', delivery_attempts = delivery_attempts + 1,
          next_attempt_at = now() + make_interval(secs => ${holdSeconds}), claim_token = ${token}::uuid
      WHERE id = ${row.id}::uuid AND delivery_status IN ('PENDING', 'SENDING') AND next_attempt_at <= now()
      RETURNING delivery_attempts`;
    if (!taken) return 'taken'; // another sender took it first
    const attempt = taken.delivery_attempts;
    const renewal = setInterval(() => {
      db.$executeRaw`
        UPDATE ${deliveries} SET next_attempt_at = now() + make_interval(secs => ${holdSeconds})
        WHERE id = ${row.id}::uuid AND claim_token = ${token}::uuid AND delivery_status = 'SENDING'`.catch(() => {});
    }, settings.claimMs / 4);
    try {
      let to: Recipient;
      try {
        to = recipient();
        if (!channel.accepts(to)) {
          await recordSkipped(db, log, row.id, token);
          return 'skipped';
        }
        await channel.send({ notificationId: row.id, to, subject: row.subject, body: row.body });
      } catch (error) {
        await recordFailure(db, log, row.id, token, attempt, error);
        return 'failed';
      }
      // Sent: from here on only the record may be retried, never the send.
      await recordSent(db, log, stopping, row.id);
      sends.inc({ channel: channel.name, outcome: 'sent' });
      return 'sent';
    } finally {
      clearInterval(renewal);
    }
  }

  // Private: records SENT, retrying the write after a database error (the hold is still
  // renewed meanwhile). Given up only when the sender stops: the row stays SENDING and is
  // sent again once its hold runs out, as after a crash.
  async function recordSent(db: PrismaClient, log: Logger, stopping: AbortSignal, id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A row that is gone (deleted meanwhile) has nothing left to record.
        await db.$executeRaw`
          UPDATE ${deliveries} SET delivery_status = 'SENT', sent_at = now(), next_attempt_at = NULL, last_error = NULL, claim_token = NULL
          WHERE id = ${id}::uuid`;
        if (attempt > 1) log.info({ notificationId: id, writes: attempt }, 'notification recorded SENT after retrying the write');
        return;
      } catch (error) {
        if (attempt === 1) log.warn({ notificationId: id, err: error }, 'notification sent but not recorded; retrying the record, not the send');
        const stopped = await sleep(backoffMs(attempt, RECORD_RETRY_BASE_MS, RECORD_RETRY_MAX_MS), false, { signal: stopping }).catch(() => true);
        if (stopped) {
          log.error({ notificationId: id, err: error }, 'stopping with a sent notification not recorded; it will be sent again');
          return;
        }
      }
    }
  }

  // Private: a failed send waits a backoff, or is FAILED after the last attempt; recorded
  // only while this sender still holds it.
  async function recordFailure(db: PrismaClient, log: Logger, id: string, token: string, attempt: number, error: unknown): Promise<void> {
    const reason = (error as Error).message?.slice(0, 500) ?? String(error);
    const last = attempt >= settings.maxAttempts;
    const status = last ? 'FAILED' : 'PENDING';
    const nextAttemptAt = last ? null : new Date(Date.now() + backoffMs(attempt, settings.retryBaseMs, MAX_BACKOFF_MS));
    await db.$executeRaw`
      UPDATE ${deliveries}
      SET delivery_status = ${status}::"DeliveryStatus", next_attempt_at = ${nextAttemptAt}, last_error = ${reason}, claim_token = NULL
      WHERE id = ${id}::uuid AND claim_token = ${token}::uuid`;
    sends.inc({ channel: channel.name, outcome: last ? 'failed' : 'retry' });
    log.warn({ notificationId: id, attempt, err: error }, last ? 'notification could not be sent; giving up' : 'notification not sent; will retry');
  }

  // Private: the recipient has not opted in to this channel: nothing is sent, and the
  // delivery says so (recorded only while this sender still holds it).
  async function recordSkipped(db: PrismaClient, log: Logger, id: string, token: string): Promise<void> {
    await db.$executeRaw`
      UPDATE ${deliveries} SET delivery_status = 'SKIPPED', next_attempt_at = NULL, last_error = NULL, claim_token = NULL
      WHERE id = ${id}::uuid AND claim_token = ${token}::uuid`;
    sends.inc({ channel: channel.name, outcome: 'skipped' });
    log.debug({ notificationId: id, channel: channel.name }, 'recipient has not opted in to this channel; not sent');
  }

  const worker = databaseWorker<PrismaClient>({ name: `${channel.name} sender`, intervalMs: settings.intervalMs, pass, close: () => channel.close() });
  const pending = () => {
    const db = worker.database();
    if (!db) return undefined;
    return db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS count FROM ${deliveries} WHERE delivery_status IN ('PENDING', 'SENDING')`.then((rows) => rows[0]!.count);
  };
  // Each name written out, so that a search (and tests/observability.test.ts) finds it.
  if (table === 'notifications') scrapeTimeGauge(options.metrics, 'notifications_pending', 'Notifications waiting to be sent (or being sent)', pending);
  else scrapeTimeGauge(options.metrics, 'sms_pending', 'SMS copies of notifications waiting to be sent (or being sent)', pending);
  return Object.assign(worker, { follow });
}

/** One counter for every sender of a service (the main channel's and the SMS one). */
function sendsCounter(metrics: Metrics): Counter<'channel' | 'outcome'> {
  const existing = metrics.registry.getSingleMetric('notification_sends_total') as Counter<'channel' | 'outcome'> | undefined;
  return (
    existing ??
    new Counter({
      name: 'notification_sends_total',
      help: 'Attempts to send a notification, by channel and outcome (sent, retry, failed, skipped)',
      labelNames: ['channel', 'outcome'],
      registers: [metrics.registry],
    })
  );
}
