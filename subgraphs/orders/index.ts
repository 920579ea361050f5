// Runs the orders subgraph as its own process.
import { createLogger } from '../../platform/logger.js';
import { runService } from '../../platform/service.js';
import { readOrdersConfig } from './config.js';
import { createOrdersService } from './server.js';

const log = createLogger('orders');
await runService('orders', log, async () => {
  const service = await createOrdersService(readOrdersConfig(), { log });
  const running = await service.listen();
  return { url: running.url, stop: () => service.stop() };
});
