// Subscriptions when a process goes away, with the services as real processes: a subgraph
// killed mid-subscription gives the client an error and the end, not a silent hang; a
// gateway that shuts down closes its sockets with 1001 Going Away.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serviceProcesses, type ServiceProcesses } from './support/processes.js';
import { waitForLiveAt, wsConnection } from './support/live.js';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../subgraphs/users/config.js';
import { postGraphQL } from './support/stack.js';

let services: ServiceProcesses;
let token: string;

beforeAll(async () => {
  services = await serviceProcesses();
  // One at a time: on a loaded machine four embedded databases starting at once can take
  // longer than a start's deadline.
  for (const name of ['users', 'inventory', 'notifications', 'orders'] as const) await services.start(name);
  await services.start('gateway');
  const login = await postGraphQL<{ logIn: { token: string } }>(services.url('gateway'), 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: DEV_ADMIN_EMAIL, p: DEV_ADMIN_PASSWORD });
  token = login.data!.logIn.token;
}, 240_000);
afterAll(() => services?.dispose());

describe('a process that goes away mid-subscription', () => {
  it('orders killed: the subscriber gets SUBGRAPH_UNAVAILABLE naming it, then the end', async () => {
    const connection = wsConnection(services.url('gateway'), { token });
    const watch = connection.subscribe('subscription { orderUpdated { id status user { name } } }');
    await waitForLiveAt(services.metricsUrl('orders'), 'orderUpdated', 1);
    await services.signal('orders', 'SIGKILL');
    const event = await watch.next();
    expect(event.errors?.[0]?.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'orders' });
    expect(await watch.ended).toEqual({});
    await connection.dispose();
  });

  it('the gateway stopping closes the socket with 1001 Going Away', async () => {
    const connection = wsConnection(services.url('gateway'), { token });
    connection.subscribe('subscription { notificationAdded { id } }');
    await waitForLiveAt(services.metricsUrl('notifications'), 'notificationAdded', 1);
    await services.signal('gateway', 'SIGTERM');
    expect((await connection.closed).code).toBe(1001);
    await connection.dispose();
  });
});
