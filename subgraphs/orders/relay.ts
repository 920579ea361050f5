// Delivers the outbox: claims the oldest undelivered events, hands them to the transport
// and marks the accepted ones delivered. Delivery is at least once: an event sent but not
// marked (a crash, a lost reply) is sent again, and the consumer's idempotency by event id
// makes that harmless. Several orders processes may relay at once: a claim (FOR UPDATE
// SKIP LOCKED, then a lease) gives each row to one of them at a time, and one order's
// events are put in order by the consumer, whatever the transport's order.
import { Counter, Histogram } from 'prom-client';
import type { OrderEvent } from '../../platform/events.js';
import type { Logger } from '../../platform/logger.js';
import { scrapeTimeGauge, type Metrics } from '../../platform/metrics.js';
import { kickable, type Kickable } from '../../platform/periodic.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { EventPublisher } from './eventPublishers.js';

const BATCH = 100;
const KEEP_DELIVERED_DAYS = 7;
const PRUNE_EVERY_MS = 3600_000;

export interface OutboxRelay {
  /** Runs a pass soon (coalesced with one already running). */
  kick(): void;
  /** Starts the periodic passes (every `intervalMs`); the returned function stops them and waits. */
  start(prisma: PrismaClient, log: Logger): () => Promise<void>;
}

export function createOutboxRelay(options: { publisher: EventPublisher; intervalMs: number; timeoutMs: number; metrics: Metrics }): OutboxRelay {
  const { publisher, metrics } = options;
  // How long a relay holds the rows it claimed: longer than one delivery may take, so two
  // relays never send the same rows at once; short, so that rows claimed by a relay that
  // died are taken over soon.
  const claimSeconds = Math.ceil((2 * options.timeoutMs + 1000) / 1000);
  const published = new Counter({ name: 'outbox_events_published_total', help: 'Order events accepted by the transport', labelNames: ['transport'], registers: [metrics.registry] });
  const failures = new Counter({ name: 'outbox_publish_failures_total', help: 'Relay passes that could not deliver (transport down)', labelNames: ['transport'], registers: [metrics.registry] });
  const lag = new Histogram({
    name: 'outbox_publish_lag_seconds',
    help: 'From the commit that wrote an event to the transport accepting it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [metrics.registry],
  });
  /** Set from start to stop, also where this process does not relay (the backlog is read from it). */
  let prisma: PrismaClient | undefined;
  let log: Logger | undefined;
  scrapeTimeGauge(metrics, 'outbox_backlog', 'Order events written but not yet delivered', () => prisma?.outboxEvent.count({ where: { publishedAt: null } }));
  // A backlog of 50 is fine if it is 50 ms old and not if it is 50 minutes old: alerts read
  // the age. The oldest undelivered row by position is the first one the index gives.
  scrapeTimeGauge(metrics, 'outbox_oldest_event_age_seconds', 'Age of the oldest order event not yet delivered (0 when none waits)', () =>
    prisma?.outboxEvent
      .findFirst({ where: { publishedAt: null }, orderBy: { position: 'asc' }, select: { createdAt: true } })
      .then((oldest) => (oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0)),
  );

  let runner: Kickable | undefined;
  let failing = false;
  let prunedAt = 0;

  async function relayOnce(): Promise<number> {
    const db = prisma; // a stop in the middle of a pass lets the pass finish
    if (!db) return 0;
    const claimed = await db.$queryRaw<{ id: string; payload: OrderEvent; created_at: Date; position: bigint }[]>`
      UPDATE outbox_events SET claimed_until = now() + make_interval(secs => ${claimSeconds}), attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM outbox_events
        WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
        ORDER BY position LIMIT ${BATCH}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, payload, created_at, position`;
    if (claimed.length === 0) return 0;
    claimed.sort((a, b) => (a.position < b.position ? -1 : 1));
    let outcomes: boolean[];
    try {
      outcomes = await publisher.publish(claimed.map((row) => row.payload));
    } catch (error) {
      await db.outboxEvent.updateMany({ where: { id: { in: claimed.map((row) => row.id) } }, data: { claimedUntil: null } });
      throw error;
    }
    const accepted = claimed.filter((_row, i) => outcomes[i]);
    const later = claimed.filter((_row, i) => !outcomes[i]);
    const now = new Date();
    await db.$transaction([
      db.outboxEvent.updateMany({ where: { id: { in: accepted.map((row) => row.id) } }, data: { publishedAt: now, claimedUntil: null } }),
      db.outboxEvent.updateMany({ where: { id: { in: later.map((row) => row.id) } }, data: { claimedUntil: null } }),
    ]);
    published.inc({ transport: publisher.transport }, accepted.length);
    for (const row of accepted) lag.observe((now.getTime() - row.created_at.getTime()) / 1000);
    return accepted.length;
  }

  /** One pass for the runner: true when a full batch went out (more may be waiting). */
  async function pass(): Promise<boolean> {
    let delivered: number;
    try {
      delivered = await relayOnce();
      if (failing) log?.info({ transport: publisher.transport }, 'order events are being delivered again');
      failing = false;
    } catch (error) {
      failures.inc({ transport: publisher.transport });
      // Once per outage, not once per tick: the backlog gauge tells how it goes on.
      if (!failing) log?.warn({ err: error, transport: publisher.transport }, 'could not deliver order events; they wait in the outbox');
      failing = true;
      return false;
    }
    if (prisma && Date.now() - prunedAt > PRUNE_EVERY_MS) {
      prunedAt = Date.now();
      await prisma.outboxEvent.deleteMany({ where: { publishedAt: { lt: new Date(Date.now() - KEEP_DELIVERED_DAYS * 86_400_000) } } }).catch(() => {});
    }
    return delivered === BATCH;
  }

  return {
    kick: () => runner?.kick(),
    start(client, logger) {
      prisma = client;
      log = logger;
      if (options.intervalMs === 0) {
        // This process only writes events; another instance's relay delivers them.
        return async () => {
          prisma = undefined;
        };
      }
      const started = kickable(pass, options.intervalMs);
      runner = started;
      return async () => {
        runner = undefined;
        await started.stop();
        prisma = undefined;
        await publisher.close();
      };
    },
  };
}
