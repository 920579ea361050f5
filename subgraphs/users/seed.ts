// Start-up seeding: the admin from ADMIN_EMAIL / ADMIN_PASSWORD always (created, never
// taken over), and the demo customers (prisma/users/seed.json) on the embedded default.
// Both are idempotent.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { hashPassword } from './passwords.js';

interface DemoUsers {
  password: string;
  customers: { id: string; email: string; name: string }[];
}

/**
 * Creates the admin if missing; never resets a password. An existing customer account with
 * that email is left a customer unless `promoteExisting` says otherwise: emails are not
 * verified, so whoever signed up first with the address an operator later configures
 * would otherwise become admin with a password of their own choosing.
 */
export async function seedAdmin(prisma: PrismaClient, admin: { email: string; password: string; promoteExisting: boolean }, log: Logger): Promise<void> {
  const { email } = admin;
  const existing = await prisma.user.findUnique({ where: { email } });
  if (existing?.role === 'ADMIN') return;
  if (existing && !admin.promoteExisting) {
    log.warn(
      { email, userId: existing.id },
      'ADMIN_EMAIL belongs to an existing customer account, which was NOT made admin: anyone could have signed up with that address. ' +
        'Choose another ADMIN_EMAIL, or, if you know this account is yours, start once with ADMIN_PROMOTE_EXISTING=true.',
    );
    return;
  }
  if (existing) {
    await prisma.user.update({ where: { email }, data: { role: 'ADMIN' } });
    log.warn(
      { email, userId: existing.id },
      'ADMIN_PROMOTE_EXISTING=true: the existing account with ADMIN_EMAIL was made ADMIN, keeping the password it was signed up with. ' +
        'Unset ADMIN_PROMOTE_EXISTING now.',
    );
    return;
  }
  await prisma.user.create({ data: { email, name: 'Admin', role: 'ADMIN', passwordHash: await hashPassword(admin.password) } });
  log.info({ email }, 'admin account created');
}

export async function seedDemoUsers(prisma: PrismaClient, log: Logger): Promise<void> {
  const demo = JSON.parse(await readFile(fromRoot('prisma/users/seed.json'), 'utf8')) as DemoUsers;
  const present = await prisma.user.count({ where: { id: { in: demo.customers.map((c) => c.id) } } });
  if (present === demo.customers.length) return;
  const passwordHash = await hashPassword(demo.password);
  const { count } = await prisma.user.createMany({
    data: demo.customers.map((customer) => ({ ...customer, passwordHash })),
    skipDuplicates: true,
  });
  log.info({ count }, 'demo customers seeded');
}
