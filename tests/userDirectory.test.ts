// The admin's customer directory: `users(first, after, search)` in the users subgraph.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashPassword } from '../subgraphs/users/passwords.js';
import type { UsersService } from '../subgraphs/users/server.js';
import type { Caller } from '../platform/auth.js';
import { admin, codes, customer, execute } from './support/execute.js';
import { bootUsers } from './support/services.js';

const USERS = `query Users($first: Int, $after: String, $search: String) {
  users(first: $first, after: $after, search: $search) {
    totalCount
    nodes { name email role }
    edges { cursor }
    pageInfo { hasNextPage endCursor }
  }
}`;

const PEOPLE = [
  ['Ada Lovelace', 'ada@example.com'],
  ['Alan Turing', 'alan@example.com'],
  ['Grace Hopper', 'grace@navy.example'],
  ['Edsger Dijkstra', 'ewd@example.org'],
  ['Barbara Liskov', 'liskov@mit.example'],
  ['100% Cotton', 'cotton@example.com'],
];

let users: UsersService;
const run = (variables: Record<string, unknown>, caller: Caller | null = admin()) => execute(users.server, USERS, variables, caller);

beforeAll(async () => {
  users = await bootUsers();
  const passwordHash = await hashPassword('not used here');
  // Only these people: the admin seeded at boot would make the expected pages depend on its name.
  await users.prisma.user.deleteMany();
  await users.prisma.user.createMany({ data: PEOPLE.map(([name, email]) => ({ name: name!, email: email!, passwordHash })) });
});
afterAll(() => users.stop());

describe('users(first, after, search)', () => {
  it('lists every account by name for an admin, page by page', async () => {
    const first = await run({ first: 4 });
    expect(first.errors).toBeUndefined();
    expect(first.data.users.totalCount).toBe(6);
    expect(first.data.users.nodes.map((user: { name: string }) => user.name)).toEqual(['100% Cotton', 'Ada Lovelace', 'Alan Turing', 'Barbara Liskov']);
    expect(first.data.users.pageInfo.hasNextPage).toBe(true);

    const second = await run({ first: 4, after: first.data.users.pageInfo.endCursor });
    expect(second.data.users.nodes.map((user: { name: string }) => user.name)).toEqual(['Edsger Dijkstra', 'Grace Hopper']);
    expect(second.data.users.pageInfo).toEqual({ hasNextPage: false, endCursor: second.data.users.edges[1].cursor });
  });

  it('finds people by part of their name or email, whatever the case', async () => {
    const byName = await run({ search: 'HOPP' });
    expect(byName.data.users.nodes).toEqual([{ name: 'Grace Hopper', email: 'grace@navy.example', role: 'CUSTOMER' }]);
    const byEmail = await run({ search: 'example.org' });
    expect(byEmail.data.users.nodes.map((user: { name: string }) => user.name)).toEqual(['Edsger Dijkstra']);
    expect(byEmail.data.users.totalCount).toBe(1);
  });

  it("takes LIKE's wildcards literally", async () => {
    const percent = await run({ search: '%' });
    expect(percent.data.users.nodes.map((user: { name: string }) => user.name)).toEqual(['100% Cotton']);
    expect((await run({ search: '_' })).data.users.totalCount).toBe(0);
  });

  it('is for admins only: a customer gets FORBIDDEN, an anonymous caller UNAUTHENTICATED', async () => {
    const asCustomer = await run({}, customer());
    expect(codes(asCustomer)).toEqual(['FORBIDDEN']);
    expect(asCustomer.data).toBeNull();
    expect(codes(await run({}, null))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a page too large, a forged cursor and an overlong search with BAD_USER_INPUT', async () => {
    for (const [variables, field] of [
      [{ first: 101 }, 'first'],
      [{ after: 'bm90IGEgY3Vyc29y' }, 'after'],
      [{ search: 'x'.repeat(101) }, 'search'],
    ] as const) {
      const result = await run(variables);
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.extensions!.field).toBe(field);
    }
  });
});
