// Runs the inventory subgraph as its own process.
import { createLogger } from '../../platform/logger.js';
import { runService, startServiceTracing } from '../../platform/service.js';
import { readInventoryConfig } from './config.js';
import { createInventoryService } from './server.js';

// Before the logger and the service are made: both look at whether tracing is on.
await startServiceTracing('inventory');
const log = createLogger('inventory');
await runService('inventory', log, async () => {
  const service = await createInventoryService(readInventoryConfig(), { log });
  const running = await service.listen();
  return { url: running.url, stop: () => service.stop() };
});
