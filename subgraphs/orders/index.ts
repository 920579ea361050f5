// Runs the orders subgraph as its own process.
import { createLogger } from '../../platform/logger.js';
import { runService, startServiceTracing } from '../../platform/service.js';
import { readOrdersConfig } from './config.js';
import { createOrdersService } from './server.js';

// Before the logger and the service are made: both look at whether tracing is on.
await startServiceTracing('orders');
const log = createLogger('orders');
await runService('orders', log, async () => {
  const service = await createOrdersService(readOrdersConfig(), { log });
  const running = await service.listen();
  return { url: running.url, stop: () => service.stop() };
});
