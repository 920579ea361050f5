// The bootstrap admin is created, never taken over: a real users process restarted on the
// same data with ADMIN_EMAIL set to an address someone had already signed up with leaves
// that account a customer (emails are not verified, so it may be anyone's) and prints why;
// only ADMIN_PROMOTE_EXISTING=true makes it admin, and that is printed as loudly.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';
import { postGraphQL } from './support/stack.js';

const ADDRESS = 'ops@example.com';
const SQUATTER_PASSWORD = 'squatter-chose-this';
const OPERATOR_PASSWORD = 'operator-chose-this';
const AS_OPERATOR = { ADMIN_EMAIL: ADDRESS, ADMIN_PASSWORD: OPERATOR_PASSWORD };

let services: ServiceProcesses;

beforeAll(async () => {
  services = await serviceProcesses();
  await services.start('users');
}, 120_000);
afterAll(() => services.dispose());

/** The role a sign-in gives, or the error code it is refused with. */
async function signIn(password: string): Promise<string> {
  const reply = await postGraphQL<any>(services.url('users'), 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { user { role } } }', { e: ADDRESS, p: password });
  return reply.data?.logIn.user.role ?? reply.errors?.map((error) => error.extensions?.code).join();
}

async function restartUsers(env: Record<string, string>): Promise<void> {
  expect(await services.signal('users', 'SIGTERM')).toBe(0);
  await services.start('users', env);
}

it('an account signed up with the address later set as ADMIN_EMAIL stays a customer, and the log says why', async () => {
  const signUp = await postGraphQL<any>(services.url('users'), 'mutation($i: SignUpInput!) { signUp(input: $i) { user { role } } }', {
    i: { email: ADDRESS, name: 'Not the operator', password: SQUATTER_PASSWORD },
  });
  expect(signUp.data?.signUp.user.role).toBe('CUSTOMER');

  await restartUsers(AS_OPERATOR);
  expect(await signIn(SQUATTER_PASSWORD)).toBe('CUSTOMER');
  // Nor was an admin made beside it with the operator's password.
  expect(await signIn(OPERATOR_PASSWORD)).toBe('UNAUTHENTICATED');
  await services.waitForOutput('users', 'ADMIN_EMAIL belongs to an existing customer account, which was NOT made admin');
}, 120_000);

it('ADMIN_PROMOTE_EXISTING=true makes that account admin, keeping its own password, and says so', async () => {
  await restartUsers({ ...AS_OPERATOR, ADMIN_PROMOTE_EXISTING: 'true' });
  expect(await signIn(SQUATTER_PASSWORD)).toBe('ADMIN');
  await services.waitForOutput('users', 'ADMIN_PROMOTE_EXISTING=true: the existing account with ADMIN_EMAIL was made ADMIN');
  expect(services.output('users')).toMatch(/"level":40[^\n]*ADMIN_PROMOTE_EXISTING=true/); // a warning, not an info line
}, 120_000);
