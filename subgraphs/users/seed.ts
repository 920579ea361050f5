// Start-up seeding: the admin from ADMIN_EMAIL / ADMIN_PASSWORD always, and the demo
// customers (prisma/users/seed.json) on the embedded default. Both are idempotent.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../platform/logger.js';
import { fromRoot } from '../../platform/paths.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { hashPassword } from './passwords.js';

interface DemoUsers {
  password: string;
  customers: { id: string; email: string; name: string }[];
}

/** Creates the admin if missing, or makes the existing account with that email an admin; never resets its password. */
export async function seedAdmin(prisma: PrismaClient, email: string, password: string, log: Logger): Promise<void> {
  const existing = await prisma.user.findUnique({ where: { email } });
  if (existing?.role === 'ADMIN') return;
  if (existing) {
    await prisma.user.update({ where: { email }, data: { role: 'ADMIN' } });
    log.info({ email }, 'existing account made admin');
    return;
  }
  await prisma.user.create({ data: { email, name: 'Admin', role: 'ADMIN', passwordHash: await hashPassword(password) } });
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
