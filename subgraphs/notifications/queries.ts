// Reading notifications page by page, newest first, with keyset cursors on (createdAt, id):
// one statement for the pages of many users (a window function numbers each user's rows).
import { badInput } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { decodeCursor, encodeCursor } from '../../platform/pagination.js';
import { Prisma, type DeliveryStatus, type Notification, type PrismaClient } from './generated/prisma/client.js';

export type Position = [createdAt: string, id: string];

export const notificationCursor = (row: Notification) => encodeCursor([row.createdAt.toISOString(), row.id]);

export function readCursor(after: string | null | undefined): Position | null {
  if (!after) return null;
  const [createdAt, id] = decodeCursor(after, ['string', 'string']) as Position;
  if (!isUuid(id) || Number.isNaN(Date.parse(createdAt))) throw badInput('after is not a cursor this API gave out.', 'after');
  return [createdAt, id];
}

export interface UserNotificationsPage {
  userId: string;
  take: number;
  unreadOnly: boolean;
  before: Position | null;
}

interface Row {
  id: string;
  user_id: string;
  event_id: string;
  order_id: string;
  kind: string;
  channel: string;
  subject: string;
  body: string;
  event_at: Date;
  created_at: Date;
  read_at: Date | null;
  delivery_status: DeliveryStatus;
  delivery_attempts: number;
  next_attempt_at: Date | null;
  sent_at: Date | null;
  last_error: string | null;
  claim_token: string | null;
}

export async function notificationsOfUsers(
  prisma: PrismaClient,
  { userIds, take, unreadOnly, before }: { userIds: string[]; take: number; unreadOnly: boolean; before: Position | null },
): Promise<Notification[]> {
  const unreadFilter = unreadOnly ? Prisma.sql`AND read_at IS NULL` : Prisma.empty;
  const positionFilter = before ? Prisma.sql`AND (created_at, id) < (${new Date(before[0])}::timestamptz, ${before[1]}::uuid)` : Prisma.empty;
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT * FROM (
      SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY created_at DESC, id DESC) AS position
      FROM notifications
      WHERE user_id = ANY(${userIds}::uuid[]) ${unreadFilter} ${positionFilter}
    ) numbered
    WHERE position <= ${take}
    ORDER BY user_id, created_at DESC, id DESC`;
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    eventId: row.event_id,
    orderId: row.order_id,
    kind: row.kind,
    channel: row.channel,
    subject: row.subject,
    body: row.body,
    eventAt: row.event_at,
    createdAt: row.created_at,
    readAt: row.read_at,
    deliveryStatus: row.delivery_status,
    deliveryAttempts: row.delivery_attempts,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
    claimToken: row.claim_token,
  }));
}
