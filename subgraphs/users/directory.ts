// The admin's customer directory: every account, by name, searchable by name or email.
import { badInput } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { decodeCursor, encodeCursor, pageSize, toConnection } from '../../platform/pagination.js';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';
import type { QueryUsersArgs } from './generated/schema.js';

const MAX_SEARCH_LENGTH = 100;

/** Users by name then id, with a keyset cursor (as the product catalogue): stable while people sign up. */
export async function listUsers(prisma: PrismaClient, args: QueryUsersArgs) {
  const size = pageSize(args.first);
  const where: Prisma.UserWhereInput = {};
  const search = args.search?.trim();
  if (search) {
    if (search.length > MAX_SEARCH_LENGTH) throw badInput(`search must be at most ${MAX_SEARCH_LENGTH} characters.`, 'search');
    // Prisma passes `contains` to ILIKE as it is: escape LIKE's wildcards so '%' means '%'.
    const pattern = search.replace(/[\\%_]/g, '\\$&');
    where.OR = [{ name: { contains: pattern, mode: 'insensitive' } }, { email: { contains: pattern, mode: 'insensitive' } }];
  }
  const page: Prisma.UserWhereInput[] = [where];
  if (args.after) {
    const [name, id] = decodeCursor(args.after, ['string', 'string']) as [string, string];
    if (!isUuid(id)) throw badInput('after is not a cursor this API gave out.', 'after');
    page.push({ OR: [{ name: { gt: name } }, { name, id: { gt: id } }] });
  }
  const rows = await prisma.user.findMany({
    where: { AND: page },
    orderBy: [{ name: 'asc' }, { id: 'asc' }],
    take: size + 1,
    omit: { passwordHash: true },
  });
  return toConnection(rows, size, (user) => encodeCursor([user.name, user.id]), () => prisma.user.count({ where }));
}
