// Secrets never reach the logs: real gateway and users processes at the most verbose log
// level, a sign-up, sign-ins (right and wrong) and an authenticated query; the password
// and the token appear nowhere in what either process printed, though the requests did.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';
import { postGraphQL } from './support/stack.js';

const PASSWORD = 'Plain-Text-Secret-4711';
let services: ServiceProcesses;

beforeAll(async () => {
  services = await serviceProcesses({ LOG_LEVEL: 'trace' });
  await services.start('users');
  await services.start('gateway');
}, 120_000);
afterAll(() => services.dispose());

it('logs each request, but never a password, a token or an Authorization header', async () => {
  const gateway = services.url('gateway');
  const signUp = await postGraphQL<any>(gateway, 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
    i: { email: 'secret-keeper@example.com', name: 'Keeper', password: PASSWORD },
  });
  const token: string = signUp.data.signUp.token;
  await postGraphQL(gateway, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: 'secret-keeper@example.com', p: PASSWORD });
  await postGraphQL(gateway, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: 'secret-keeper@example.com', p: `${PASSWORD}-wrong` });
  await postGraphQL(gateway, 'query Me { me { name } }', {}, token);
  await postGraphQL(gateway, 'query Me { me { name } }', {}, `${token}tampered`);
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the last lines arrive

  for (const name of ['gateway', 'users'] as const) {
    const printed = services.output(name);
    expect(printed).toMatch(/"operation":"Me(__users__\d+)?"/); // the requests were logged…
    expect(printed).not.toContain(PASSWORD); // …without what must stay secret
    expect(printed).not.toContain(token.split('.')[2]); // a token's signature, in any form
    expect(printed).not.toMatch(/bearer /i);
  }
}, 60_000);
