// Runs the users subgraph as its own process.
import { createLogger } from '../../platform/logger.js';
import { runService } from '../../platform/service.js';
import { readUsersConfig } from './config.js';
import { createUsersService } from './server.js';

const log = createLogger('users');
await runService('users', log, async () => {
  const service = await createUsersService(readUsersConfig(), { log });
  const running = await service.listen();
  return { url: running.url, stop: () => service.stop() };
});
