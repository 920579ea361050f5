// Parked order events: the relay moves an event it gave up on from outbox_events to
// outbox_dead_letters (with why), so that it stops holding anything up; an operator lists
// them and moves them back once the cause is fixed (scripts/dead-letters.mjs, or the SQL
// in docs/order-events.md). Moved back, an event takes its old place and a fresh count of
// attempts, and the consumer's idempotency by event id makes a second arrival harmless.
import type { PrismaClient } from './generated/prisma/client.js';

export interface DeadLetter {
  id: string;
  orderId: string;
  type: string;
  attempts: number;
  reason: string;
  parkedAt: Date;
}

/** Moves one outbox event to the dead letters, in one transaction. */
export async function parkEvent(prisma: PrismaClient, eventId: string, why: { attempts: number; reason: string }): Promise<void> {
  await prisma.$transaction([
    prisma.$executeRaw`
      INSERT INTO outbox_dead_letters (id, position, order_id, sequence, type, version, payload, created_at, attempts, reason)
      SELECT id, position, order_id, sequence, type, version, payload, created_at, ${why.attempts}::int, ${why.reason}::text
      FROM outbox_events WHERE id = ${eventId}::uuid`,
    prisma.$executeRaw`DELETE FROM outbox_events WHERE id = ${eventId}::uuid`,
  ]);
}

/** The parked events, oldest first. */
export function listDeadLetters(prisma: PrismaClient): Promise<DeadLetter[]> {
  return prisma.outboxDeadLetter.findMany({
    select: { id: true, orderId: true, type: true, attempts: true, reason: true, parkedAt: true },
    orderBy: { position: 'asc' },
  });
}

/**
 * Moves parked events back into the outbox (all of them when `ids` is undefined), where
 * the relay delivers them as if new. Answers the ids moved.
 */
export async function requeueDeadLetters(prisma: PrismaClient, ids?: string[]): Promise<string[]> {
  const filter = ids ? { id: { in: ids } } : {};
  return prisma.$transaction(async (tx) => {
    const rows = await tx.outboxDeadLetter.findMany({ where: filter, orderBy: { position: 'asc' } });
    if (rows.length === 0) return [];
    await tx.outboxEvent.createMany({
      data: rows.map(({ id, position, orderId, sequence, type, version, payload, createdAt }) => ({ id, position, orderId, sequence, type, version, payload: payload as object, createdAt })),
    });
    await tx.outboxDeadLetter.deleteMany({ where: { id: { in: rows.map((row) => row.id) } } });
    return rows.map((row) => row.id);
  });
}
