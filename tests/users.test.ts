import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { seedAdmin } from '../subgraphs/users/seed.js';
import type { UsersService } from '../subgraphs/users/server.js';
import { admin, codes, customer, execute, truncateAll } from './support/execute.js';
import { bootUsers } from './support/services.js';

const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id email name role createdAt } } }`;
const LOG_IN = `mutation LogIn($email: String!, $password: String!) { logIn(email: $email, password: $password) { token user { id } } }`;

let users: UsersService;
const run = (query: string, variables?: Record<string, unknown>, caller?: Parameters<typeof execute>[3]) =>
  execute(users.server, query, variables, caller);
const signUp = (email = 'ada@example.com', password = 'correct horse', name = 'Ada') =>
  run(SIGN_UP, { input: { email, name, password } });

beforeAll(async () => {
  users = await bootUsers();
});
afterAll(() => users.stop());
beforeEach(() => truncateAll(users.database));

describe('signUp', () => {
  it('creates a customer and returns a token that identifies them', async () => {
    const result = await signUp('Ada@Example.COM');
    expect(result.errors).toBeUndefined();
    const { token, user } = result.data.signUp;
    expect(user).toMatchObject({ email: 'ada@example.com', name: 'Ada', role: 'CUSTOMER' });
    expect(new Date(user.createdAt).toISOString()).toBe(user.createdAt);
    expect(await users.tokens.verify(token)).toEqual({ kind: 'user', userId: user.id, role: 'CUSTOMER' });
  });

  it('stores a salted scrypt hash, never the password', async () => {
    await signUp('a@example.com', 'same password');
    await signUp('b@example.com', 'same password');
    const rows = await users.prisma.user.findMany();
    for (const row of rows) {
      expect(row.passwordHash).toMatch(/^scrypt\$15\$8\$1\$/);
      expect(row.passwordHash).not.toContain('same password');
    }
    expect(rows[0]!.passwordHash).not.toBe(rows[1]!.passwordHash);
  });

  it('treats emails differing only in case as the same account: CONFLICT', async () => {
    await signUp('ada@example.com');
    const again = await signUp('ADA@example.com');
    expect(codes(again)).toEqual(['CONFLICT']);
    expect(await users.prisma.user.count()).toBe(1);
  });

  it.each([
    ['an invalid email', 'not-an-email', 'long enough', 'Ada', 'email'],
    ['a short password', 'ada@example.com', 'short', 'Ada', 'password'],
    ['an empty name', 'ada@example.com', 'long enough', '   ', 'name'],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_case, email, password, name, field) => {
    const result = await signUp(email, password, name);
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0]!.extensions!.field).toBe(field);
    expect(await users.prisma.user.count()).toBe(0);
  });
});

describe('logIn', () => {
  it('returns a token for the right password, whatever the email case', async () => {
    const { user } = (await signUp()).data.signUp;
    const result = await run(LOG_IN, { email: 'ADA@example.com', password: 'correct horse' });
    expect(result.data.logIn.user.id).toBe(user.id);
    expect(await users.tokens.verify(result.data.logIn.token)).toMatchObject({ userId: user.id });
  });

  it('answers a wrong password and an unknown email with the same error', async () => {
    await signUp();
    const wrongPassword = await run(LOG_IN, { email: 'ada@example.com', password: 'wrong horse' });
    const unknownEmail = await run(LOG_IN, { email: 'nobody@example.com', password: 'correct horse' });
    expect(codes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
    expect(unknownEmail.errors![0]!.message).toBe(wrongPassword.errors![0]!.message);
  });
});

describe('me and user(id)', () => {
  it('me is null without a token and the caller with one', async () => {
    const { user } = (await signUp()).data.signUp;
    expect((await run('{ me { id } }')).data).toEqual({ me: null });
    expect((await run('{ me { id email } }', {}, customer(user.id))).data).toEqual({ me: { id: user.id, email: 'ada@example.com' } });
  });

  it('a customer reads itself but not another user: FORBIDDEN', async () => {
    const ada = (await signUp('ada@example.com')).data.signUp.user;
    const alan = (await signUp('alan@example.com')).data.signUp.user;
    const query = 'query User($id: ID!) { user(id: $id) { id email } }';
    expect((await run(query, { id: ada.id }, customer(ada.id))).data.user.id).toBe(ada.id);
    const other = await run(query, { id: alan.id }, customer(ada.id));
    expect(codes(other)).toEqual(['FORBIDDEN']);
    expect(other.data).toEqual({ user: null });
  });

  it('an admin reads anyone; anonymous callers must sign in', async () => {
    const ada = (await signUp()).data.signUp.user;
    const query = 'query User($id: ID!) { user(id: $id) { email } }';
    expect((await run(query, { id: ada.id }, admin())).data.user.email).toBe('ada@example.com');
    expect(codes(await run(query, { id: ada.id }))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('User entities for the gateway', () => {
  const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }';

  it('resolves 20 users with one SQL statement', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await users.prisma.user.create({ data: { email: `u${i}@example.com`, name: `U${i}`, passwordHash: 'x' } })).id);
    const before = users.stats.statements;
    const result = await run(ENTITIES, { r: ids.map((id) => ({ __typename: 'User', id })) }, admin());
    expect(users.stats.statements - before).toBe(1);
    expect(result.data._entities.map((u: { id: string }) => u.id)).toEqual(ids);
  });

  it('refuses a customer another user through a hand-written _entities query', async () => {
    const ada = (await signUp('ada@example.com')).data.signUp.user;
    const alan = (await signUp('alan@example.com')).data.signUp.user;
    const result = await run(ENTITIES, { r: [{ __typename: 'User', id: alan.id }] }, customer(ada.id));
    expect(codes(result)).toEqual(['FORBIDDEN']);
    expect(result.data?._entities?.[0] ?? null).toBeNull();
  });
});

describe('the seeded admin', () => {
  it('exists with the configured credentials, and seeding again changes nothing', async () => {
    await seedAdmin(users.prisma, { email: DEV_ADMIN_EMAIL, password: DEV_ADMIN_PASSWORD, promoteExisting: false }, users.server.contextFor(null).log);
    await seedAdmin(users.prisma, { email: DEV_ADMIN_EMAIL, password: 'another password', promoteExisting: false }, users.server.contextFor(null).log);
    expect(await users.prisma.user.count()).toBe(1);
    const result = await run(LOG_IN, { email: DEV_ADMIN_EMAIL, password: DEV_ADMIN_PASSWORD });
    expect(await users.tokens.verify(result.data.logIn.token)).toMatchObject({ role: 'ADMIN' });
  });

  // The same with real processes restarted on their data: tests/adminSeed.test.ts.
  it.each([
    [false, 'CUSTOMER', /ADMIN_EMAIL belongs to an existing customer account, which was NOT made admin/],
    [true, 'ADMIN', /ADMIN_PROMOTE_EXISTING=true: the existing account with ADMIN_EMAIL was made ADMIN/],
  ])('with promoteExisting %s, an account signed up first with that email ends %s, and a warning says why', async (promoteExisting, role, warning) => {
    await signUp(DEV_ADMIN_EMAIL, 'the squatter’s password');
    const lines: { level: number; msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    await seedAdmin(users.prisma, { email: DEV_ADMIN_EMAIL, password: DEV_ADMIN_PASSWORD, promoteExisting }, log);
    const result = await run(LOG_IN, { email: DEV_ADMIN_EMAIL, password: 'the squatter’s password' });
    expect(await users.tokens.verify(result.data.logIn.token)).toMatchObject({ role });
    expect(await users.prisma.user.count()).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: expect.stringMatching(warning) })]);
  });
});
