// Runs the gateway as its own process.
import { createLogger } from '../platform/logger.js';
import { runService, startServiceTracing } from '../platform/service.js';
import { readGatewayConfig } from './config.js';
import { createGateway } from './server.js';

// Before the logger and the service are made: both look at whether tracing is on.
await startServiceTracing('gateway', { untrustedParents: true });
const log = createLogger('gateway');
await runService('gateway', log, async () => {
  const gateway = await createGateway(readGatewayConfig(), { log });
  const running = await gateway.listen();
  return { url: running.url, stop: () => gateway.stop() };
});
