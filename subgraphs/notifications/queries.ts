// Reading notifications page by page, newest first, with keyset cursors on (createdAt, id):
// one statement for the pages of many users (platform/newestPerUser.ts).
import { badInput } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { newestPerUser, type Position } from '../../platform/newestPerUser.js';
import { decodeCursor, encodeCursor } from '../../platform/pagination.js';
import { Prisma, type Notification, type PrismaClient } from './generated/prisma/client.js';

export type { Position };

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

export function notificationsOfUsers(
  prisma: PrismaClient,
  { userIds, take, unreadOnly, before }: { userIds: string[]; take: number; unreadOnly: boolean; before: Position | null },
): Promise<Notification[]> {
  return newestPerUser<Notification>(prisma, {
    table: 'notifications',
    columns: {
      id: 'id',
      userId: 'user_id',
      eventId: 'event_id',
      orderId: 'order_id',
      kind: 'kind',
      channel: 'channel',
      subject: 'subject',
      body: 'body',
      eventAt: 'event_at',
      createdAt: 'created_at',
      readAt: 'read_at',
      deliveryStatus: 'delivery_status',
      deliveryAttempts: 'delivery_attempts',
      nextAttemptAt: 'next_attempt_at',
      sentAt: 'sent_at',
      lastError: 'last_error',
      claimToken: 'claim_token',
    },
    userIds,
    take,
    before,
    where: unreadOnly ? Prisma.sql`AND read_at IS NULL` : Prisma.empty,
  });
}
