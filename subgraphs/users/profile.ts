// What a user may change on their own account (updateMe): the phone number SMS goes to and
// which channels carry their notifications. Only the caller's own account: there is no id
// to name anyone else's, admins included.
import { requireUser } from '../../platform/authorization.js';
import { badInput, notFound } from '../../platform/errors.js';
import type { UsersContext } from './context.js';
import { normalizePhone, smsNeedsPhone } from './errors.js';
import type { UpdateMeInput } from './generated/schema.js';
import type { PublicUser } from './loaders.js';

export async function updateMe(input: UpdateMeInput, context: UsersContext): Promise<PublicUser> {
  const caller = requireUser(context.caller);
  const changes: { phone?: string | null; notifyByEmail?: boolean; notifyBySms?: boolean } = {};
  if (input.phone !== undefined) changes.phone = input.phone === null ? null : normalizePhone(input.phone, 'phone');
  const preferences = input.notificationPreferences;
  if (preferences === null) throw badInput('notificationPreferences cannot be null; leave it out to keep it.', 'notificationPreferences');
  if (preferences?.email === null) throw badInput('notificationPreferences.email cannot be null; leave it out to keep it.', 'notificationPreferences.email');
  if (preferences?.sms === null) throw badInput('notificationPreferences.sms cannot be null; leave it out to keep it.', 'notificationPreferences.sms');
  if (preferences?.email !== undefined) changes.notifyByEmail = preferences.email;
  if (preferences?.sms !== undefined) changes.notifyBySms = preferences.sms;
  // A removed number takes SMS with it: there would be nowhere to send to.
  if (changes.phone === null) {
    if (changes.notifyBySms) throw smsNeedsPhone();
    changes.notifyBySms = false;
  }
  // One statement, so the check that a number exists and turning SMS on cannot be split by
  // a concurrent removal of the number: SMS turns on only where a number is (or is being) set.
  const rows = await context.prisma.$queryRaw<{ id: string }[]>`
    UPDATE users SET
      phone = CASE WHEN ${changes.phone !== undefined}::boolean THEN ${changes.phone ?? null}::text ELSE phone END,
      notify_by_email = COALESCE(${changes.notifyByEmail ?? null}::boolean, notify_by_email),
      notify_by_sms = COALESCE(${changes.notifyBySms ?? null}::boolean, notify_by_sms)
    WHERE id = ${caller.userId}::uuid
      AND (${changes.notifyBySms !== true}::boolean OR COALESCE(${changes.phone ?? null}::text, phone) IS NOT NULL)
    RETURNING id`;
  if (rows.length === 0) {
    const exists = await context.prisma.user.count({ where: { id: caller.userId } });
    if (exists && changes.notifyBySms) throw smsNeedsPhone();
    throw notFound('User', caller.userId);
  }
  context.log.info({ userId: caller.userId, fields: Object.keys(changes) }, 'user updated their notification settings');
  return context.prisma.user.findUniqueOrThrow({ where: { id: caller.userId }, omit: { passwordHash: true } });
}
