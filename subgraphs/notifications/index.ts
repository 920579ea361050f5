// Runs the notifications subgraph as its own process.
import { createLogger } from '../../platform/logger.js';
import { runService, startServiceTracing } from '../../platform/service.js';
import { readNotificationsConfig } from './config.js';
import { createNotificationsService } from './server.js';

// Before the logger and the service are made: both look at whether tracing is on.
await startServiceTracing('notifications');
const log = createLogger('notifications');
await runService('notifications', log, async () => {
  const service = await createNotificationsService(readNotificationsConfig(), { log });
  const running = await service.listen();
  return { url: running.url, stop: () => service.stop() };
});
