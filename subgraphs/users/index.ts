// Runs the users subgraph as its own process.
import { createLogger } from '../../platform/logger.js';
import { runService, startServiceTracing } from '../../platform/service.js';
import { readUsersConfig } from './config.js';
import { createUsersService } from './server.js';

// Before the logger and the service are made: both look at whether tracing is on.
await startServiceTracing('users');
const log = createLogger('users');
await runService('users', log, async () => {
  const service = await createUsersService(readUsersConfig(), { log });
  const running = await service.listen();
  return { url: running.url, stop: () => service.stop() };
});
