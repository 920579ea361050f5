// The whole supergraph for end-to-end tests: the three subgraphs and the gateway as
// real HTTP servers on free ports, composed from supergraph.yaml as in production.
import { composeSupergraph, readSupergraphConfig } from '../../gateway/composition.js';
import { readGatewayConfig } from '../../gateway/config.js';
import { createGateway, type Gateway } from '../../gateway/server.js';
import { fromRoot } from '../../platform/paths.js';
import type { InventoryService } from '../../subgraphs/inventory/server.js';
import type { NotificationsService } from '../../subgraphs/notifications/server.js';
import type { OrdersService } from '../../subgraphs/orders/server.js';
import type { UsersService } from '../../subgraphs/users/server.js';
import { bootInventory, bootNotifications, bootOrders, bootUsers, TEST_ENV, type BootOptions } from './services.js';
import { DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD } from '../../subgraphs/users/config.js';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface Stack {
  gatewayUrl: string;
  subgraphUrls: { users: string; inventory: string; orders: string; notifications: string };
  /** Where each process serves /metrics, if anywhere (its own port in development; see `<NAME>_METRICS_PORT`). */
  metricsUrls: { gateway?: string; users?: string; inventory?: string; orders?: string; notifications?: string };
  users: UsersService;
  inventory: InventoryService;
  orders: OrdersService;
  notifications: NotificationsService;
  gateway: Gateway;
  /** Sends an operation to the gateway (or `url`) over HTTP, as a client would. */
  query<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string; url?: string }): Promise<GraphQLResponse<T>>;
  /** Signs in through the gateway (or at `url`, say the users subgraph itself) and returns the token. */
  logIn(email: string, password: string, options?: { url?: string }): Promise<string>;
  adminToken(): Promise<string>;
  /** SQL statements sent by each subgraph so far. */
  statements(): { users: number; inventory: number; orders: number; notifications: number };
  /** Another gateway in front of the same subgraphs, with `env` on top of the test settings. */
  addGateway(env: Record<string, string>): Promise<{ url: string; metricsUrl?: string; gateway: Gateway }>;
  stop(): Promise<void>;
}

export async function postGraphQL<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

export interface StackOptions extends BootOptions {
  /** Rewrites the URL the gateway uses for a subgraph (to put a faulty proxy in between). */
  gatewayRoute?: (name: string, url: string) => string | Promise<string>;
  /** Rewrites the URL orders uses for inventory (to put a faulty proxy in between). */
  ordersToInventory?: (url: string) => string | Promise<string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const [users, inventory] = await Promise.all([bootUsers(options), bootInventory(options)]);
  const [usersServer, inventoryServer] = await Promise.all([users.listen(0, '127.0.0.1'), inventory.listen(0, '127.0.0.1')]);
  const notifications = await bootNotifications({ ...options, usersUrl: usersServer.url });
  const notificationsServer = await notifications.listen(0, '127.0.0.1');
  const inventoryUrl = options.ordersToInventory ? await options.ordersToInventory(inventoryServer.url) : inventoryServer.url;
  const orders = await bootOrders({ ...options, inventoryUrl, notificationsUrl: notificationsServer.url });
  const ordersServer = await orders.listen(0, '127.0.0.1');
  const subgraphUrls = { users: usersServer.url, inventory: inventoryServer.url, orders: ordersServer.url, notifications: notificationsServer.url };
  const subgraphMetricsUrls = { users: usersServer.metricsUrl, inventory: inventoryServer.metricsUrl, orders: ordersServer.metricsUrl, notifications: notificationsServer.metricsUrl };

  const route = options.gatewayRoute ?? ((_name: string, url: string) => url);
  const subgraphs = await Promise.all(
    (await readSupergraphConfig(fromRoot('supergraph.yaml'))).map(async (entry) => ({
      ...entry,
      routingUrl: await route(entry.name, subgraphUrls[entry.name as keyof typeof subgraphUrls]),
    })),
  );
  const supergraphSdl = await composeSupergraph(subgraphs);
  const gateways: Gateway[] = [];
  const addGateway = async (env: Record<string, string>) => {
    const gateway = await createGateway(readGatewayConfig({ ...TEST_ENV, ...options.env, ...env }), { supergraphSdl });
    gateways.push(gateway);
    const running = await gateway.listen(0, '127.0.0.1');
    return { url: running.url, metricsUrl: running.metricsUrl, gateway };
  };
  const { url: gatewayUrl, metricsUrl: gatewayMetricsUrl, gateway } = await addGateway({});

  let adminToken: Promise<string> | undefined;
  const stack: Stack = {
    gatewayUrl,
    subgraphUrls,
    metricsUrls: { gateway: gatewayMetricsUrl, ...subgraphMetricsUrls },
    users,
    inventory,
    orders,
    notifications,
    gateway,
    query: (query, variables, { token, url } = {}) => postGraphQL(url ?? gatewayUrl, query, variables, token),
    async logIn(email, password, { url } = {}) {
      const result = await stack.query<{ logIn: { token: string } }>(
        'mutation LogIn($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }',
        { email, password },
        { url },
      );
      if (!result.data?.logIn) throw new Error(`logIn failed: ${JSON.stringify(result.errors)}`);
      return result.data.logIn.token;
    },
    adminToken: () => (adminToken ??= stack.logIn(DEV_ADMIN_EMAIL, DEV_ADMIN_PASSWORD)),
    statements: () => ({
      users: users.stats.statements,
      inventory: inventory.stats.statements,
      orders: orders.stats.statements,
      notifications: notifications.stats.statements,
    }),
    addGateway,
    async stop() {
      await Promise.all(gateways.map((each) => each.stop()));
      // Orders first: its relay may be delivering to notifications.
      await orders.stop();
      await Promise.all([users.stop(), inventory.stop(), notifications.stop()]);
    },
  };
  return stack;
}
