// Order events for the relay's tests, written straight into the outbox, and a poison: the
// notifications database refusing the notification of one order (a trigger, standing in
// for any fault that follows one event and no other).
import { randomUUID } from 'node:crypto';
import type { Database } from '../../platform/database.js';
import { outboxRow } from '../../subgraphs/orders/outbox.js';

/** An order.placed outbox row for a new order, with `lines` items named `nameLength` characters long. */
export function placedEvent(options: { lines?: number; nameLength?: number } = {}) {
  const lines = options.lines ?? 1;
  const items = Array.from({ length: lines }, (_, i) => ({
    productId: randomUUID(),
    name: `Hand-thrown stoneware mug no. ${i} `.padEnd(options.nameLength ?? 20, 'x'),
    quantity: 1,
    unitPriceCents: 100,
  }));
  return outboxRow('order.placed', { id: randomUUID(), userId: randomUUID(), status: 'PENDING', totalCents: lines * 100 }, items);
}

/** From now on, the notifications database refuses to store any notification of `orderId`. */
export const refuseNotificationsOf = (notifications: Database, orderId: string) =>
  notifications.withSession((session) =>
    session.exec(`
      CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'this notification cannot be stored (test fault)'; END $$;
      DROP TRIGGER IF EXISTS refuse_poison ON notifications;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON notifications FOR EACH ROW WHEN (NEW.order_id = '${orderId}') EXECUTE FUNCTION refuse_poison();`),
  );

/** The cause fixed: every notification is stored again. */
export const acceptAllNotifications = (notifications: Database) =>
  notifications.withSession((session) => session.exec('DROP TRIGGER IF EXISTS refuse_poison ON notifications'));
