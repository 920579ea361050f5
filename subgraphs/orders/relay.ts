// Delivers the outbox: claims the oldest undelivered events, hands them to the transport
// and marks the accepted ones delivered. Delivery is at least once: an event sent but not
// marked (a crash, a lost reply) is sent again, and the consumer's idempotency by event id
// makes that harmless. Several orders processes may relay at once: a claim (FOR UPDATE
// SKIP LOCKED, then a lease) gives each row to one of them at a time, and one order's
// events are put in order by the consumer, whatever the transport's order.
//
// No event can hold up the others. A delivery carries at most MAX_EVENT_BATCH_BYTES; a
// call refused as a whole is split until the event it was about is alone; an event
// refused on its own account waits a backoff (while the rest go on), goes alone from then
// on, and after `maxAttempts` refusals is parked in outbox_dead_letters (deadLetters.ts).
// A transport that cannot be reached is nobody's fault: nothing is counted against the
// events, they wait in the table.
import { Counter, Histogram } from 'prom-client';
import { backoffMs } from '../../platform/backoff.js';
import { MAX_EVENT_BATCH_BYTES, type OrderEvent } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { scrapeTimeGauge, type Metrics } from '../../platform/metrics.js';
import { databaseWorker, type DatabaseWorker } from '../../platform/periodic.js';
import { parkEvent } from './deadLetters.js';
import { BatchRefusedError, type Delivery, type EventPublisher } from './eventPublishers.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { tracedPublisher } from './publishTracing.js';

const BATCH = 100;
const KEEP_DELIVERED_DAYS = 7;
const PRUNE_EVERY_MS = 3600_000;
const MAX_RETRY_MS = 5 * 60_000;

export type OutboxRelay = DatabaseWorker<PrismaClient>;

export interface RelaySettings {
  /** How often to look for undelivered events; 0: never in this process. */
  intervalMs: number;
  /** How long one delivery may take. */
  timeoutMs: number;
  /** Refusals of one event before it is parked. */
  maxAttempts: number;
  /** The wait after an event's first refusal; each further one doubles (at most 5 minutes). */
  retryBaseMs: number;
}

interface Claimed {
  id: string;
  payload: OrderEvent;
  created_at: Date;
  position: bigint;
  attempts: number;
}

export function createOutboxRelay(options: { publisher: EventPublisher; settings: RelaySettings; metrics: Metrics }): OutboxRelay {
  const { settings, metrics } = options;
  const publisher = tracedPublisher(options.publisher);
  const transport = publisher.transport;
  // How long a relay holds the rows it claimed (renewed before each further call of a
  // pass): longer than one delivery may take, so two relays never send the same rows at
  // once; short, so that rows claimed by a relay that died are taken over soon.
  const claimSeconds = Math.ceil((2 * settings.timeoutMs + 1000) / 1000);
  const published = new Counter({ name: 'outbox_events_published_total', help: 'Order events accepted by the transport', labelNames: ['transport'], registers: [metrics.registry] });
  const failures = new Counter({ name: 'outbox_publish_failures_total', help: 'Relay passes that could not deliver (transport down)', labelNames: ['transport'], registers: [metrics.registry] });
  const refusals = new Counter({ name: 'outbox_events_refused_total', help: 'Deliveries refused on the event’s own account (retried, then parked)', labelNames: ['transport'], registers: [metrics.registry] });
  const parked = new Counter({ name: 'outbox_dead_lettered_total', help: 'Order events parked in outbox_dead_letters', labelNames: ['transport'], registers: [metrics.registry] });
  const lag = new Histogram({
    name: 'outbox_publish_lag_seconds',
    help: 'From the commit that wrote an event to the transport accepting it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [metrics.registry],
  });
  let failing = false;
  let prunedAt = 0;

  // Private: delivers `rows` in one call, or, when the call is refused as a whole, in
  // halves, until a refused event is alone (that refusal is its own). A transport that
  // fails ends the splitting: the rest is not tried.
  async function deliver(rows: Claimed[], beforeCall: () => Promise<void>): Promise<Delivery[]> {
    try {
      await beforeCall();
      return await publisher.publish(rows.map((row) => row.payload));
    } catch (error) {
      if (!(error instanceof BatchRefusedError)) return rows.map(() => ({ outcome: 'unreachable', error }));
      if (rows.length === 1) return [{ outcome: 'refused', reason: error.message, final: false }];
      const half = Math.ceil(rows.length / 2);
      const first = await deliver(rows.slice(0, half), beforeCall);
      const down = first.find((each) => each.outcome === 'unreachable');
      if (down) return [...first, ...rows.slice(half).map(() => down)];
      return [...first, ...(await deliver(rows.slice(half), beforeCall))];
    }
  }

  /** One pass: true when more is waiting (a full claim, or events left for the next call). */
  async function pass(db: PrismaClient, log: Logger): Promise<boolean> {
    const claimed = await db.$queryRaw<Claimed[]>`
      UPDATE outbox_events SET claimed_until = now() + make_interval(secs => ${claimSeconds})
      WHERE id IN (
        SELECT id FROM outbox_events
        WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY position LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, payload, created_at, position, attempts`;
    if (claimed.length === 0) return false;
    claimed.sort((a, b) => (a.position < b.position ? -1 : 1));
    const { calls, leftOver } = planCalls(claimed);

    let calling = 0;
    const renewClaim = async () => {
      // The first call is covered by the claim itself; each further one gets a fresh lease.
      if (calling++ === 0) return;
      await db.outboxEvent.updateMany({ where: { id: { in: claimed.map((row) => row.id) } }, data: { claimedUntil: new Date(Date.now() + claimSeconds * 1000) } });
    };
    const results = new Map<string, Delivery>();
    let down: unknown;
    for (const rows of calls) {
      const deliveries = down ? rows.map((): Delivery => ({ outcome: 'unreachable', error: down })) : await deliver(rows, renewClaim);
      rows.forEach((row, i) => results.set(row.id, deliveries[i]!));
      down ??= deliveries.find((each) => each.outcome === 'unreachable')?.error;
    }

    const accepted = claimed.filter((row) => results.get(row.id)?.outcome === 'accepted');
    const release = [...leftOver, ...claimed.filter((row) => ['later', 'unreachable'].includes(results.get(row.id)?.outcome ?? ''))];
    const now = new Date();
    await db.$transaction([
      db.outboxEvent.updateMany({ where: { id: { in: accepted.map((row) => row.id) } }, data: { publishedAt: now, claimedUntil: null, lastError: null } }),
      db.outboxEvent.updateMany({ where: { id: { in: release.map((row) => row.id) } }, data: { claimedUntil: null } }),
    ]);
    published.inc({ transport }, accepted.length);
    for (const row of accepted) lag.observe((now.getTime() - row.created_at.getTime()) / 1000);
    for (const row of claimed) {
      const delivery = results.get(row.id);
      if (delivery?.outcome === 'refused') await recordRefusal(db, log, row, delivery);
    }

    if (down) {
      failures.inc({ transport });
      // Once per outage, not once per tick: the backlog gauge tells how it goes on.
      if (!failing) log.warn({ err: down, transport }, 'could not deliver order events; they wait in the outbox');
      failing = true;
      return false;
    }
    if (failing) log.info({ transport }, 'order events are being delivered again');
    failing = false;
    if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
      prunedAt = Date.now();
      await db.outboxEvent.deleteMany({ where: { publishedAt: { lt: new Date(Date.now() - KEEP_DELIVERED_DAYS * 86_400_000) } } }).catch(() => {});
    }
    // Events that only asked to come later (an earlier one of their order is missing) are
    // not progress: those wait for the next tick rather than spin.
    const progressed = [...results.values()].some((each) => each.outcome === 'accepted' || each.outcome === 'refused');
    return progressed && (claimed.length === BATCH || leftOver.length > 0);
  }

  // Private: one more refusal for the event; it waits a backoff, or is parked at the last.
  async function recordRefusal(db: PrismaClient, log: Logger, row: Claimed, delivery: Extract<Delivery, { outcome: 'refused' }>) {
    const attempts = row.attempts + 1;
    const reason = delivery.reason.slice(0, 1000);
    refusals.inc({ transport });
    const event = { eventId: row.id, orderId: row.payload.orderId, type: row.payload.type, attempt: attempts, reason };
    if (delivery.final || attempts >= settings.maxAttempts) {
      await parkEvent(db, row.id, { attempts, reason });
      parked.inc({ transport });
      log.error({ ...event, transport }, 'order event parked in outbox_dead_letters; move it back once the cause is fixed (docs/order-events.md)');
      return;
    }
    const retryAt = new Date(Date.now() + backoffMs(attempts, settings.retryBaseMs, MAX_RETRY_MS));
    await db.outboxEvent.update({ where: { id: row.id }, data: { attempts, lastError: reason, claimedUntil: retryAt } });
    log.warn({ ...event, retryAt, transport }, 'order event refused; it will be tried again alone');
  }

  const worker = databaseWorker<PrismaClient>({ name: 'outbox relay', intervalMs: settings.intervalMs, pass, close: () => publisher.close() });
  scrapeTimeGauge(metrics, 'outbox_backlog', 'Order events written but not yet delivered', () => worker.database()?.outboxEvent.count({ where: { publishedAt: null } }));
  // A backlog of 50 is fine if it is 50 ms old and not if it is 50 minutes old: alerts read
  // the age. The oldest undelivered row by position is the first one the index gives.
  scrapeTimeGauge(metrics, 'outbox_oldest_event_age_seconds', 'Age of the oldest order event not yet delivered (0 when none waits)', () =>
    worker
      .database()
      ?.outboxEvent.findFirst({ where: { publishedAt: null }, orderBy: { position: 'asc' }, select: { createdAt: true } })
      .then((oldest) => (oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0)),
  );
  scrapeTimeGauge(metrics, 'outbox_dead_letters', 'Order events parked in outbox_dead_letters, waiting for an operator', () => worker.database()?.outboxDeadLetter.count());
  return worker;
}

/**
 * Private: which claimed rows go in which call. Events never refused before travel
 * together, oldest first, up to MAX_EVENT_BATCH_BYTES (at least one, however large);
 * those left over wait for the next pass. An event refused before goes alone, so it
 * cannot make a batch split again.
 */
function planCalls(claimed: Claimed[]): { calls: Claimed[][]; leftOver: Claimed[] } {
  const batch: Claimed[] = [];
  const leftOver: Claimed[] = [];
  const alone: Claimed[][] = [];
  let bytes = 0;
  for (const row of claimed) {
    if (row.attempts > 0) {
      alone.push([row]);
      continue;
    }
    // As it travels: a JSON string inside the request's JSON (quotes escaped again).
    const size = Buffer.byteLength(JSON.stringify(JSON.stringify(row.payload))) + 1;
    if (leftOver.length === 0 && (batch.length === 0 || bytes + size <= MAX_EVENT_BATCH_BYTES)) {
      batch.push(row);
      bytes += size;
    } else {
      leftOver.push(row);
    }
  }
  return { calls: batch.length > 0 ? [batch, ...alone] : alone, leftOver };
}
