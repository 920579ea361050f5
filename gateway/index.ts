// Runs the gateway as its own process.
import { createLogger } from '../platform/logger.js';
import { runService } from '../platform/service.js';
import { readGatewayConfig } from './config.js';
import { createGateway } from './server.js';

const log = createLogger('gateway');
await runService('gateway', log, async () => {
  const gateway = await createGateway(readGatewayConfig(), { log });
  const running = await gateway.listen();
  return { url: running.url, stop: () => gateway.stop() };
});
