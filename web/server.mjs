// Serves the built storefront (dist/): hashed assets cached for good, every other path
// answered with index.html (the app routes in the browser), /config.js written from the
// environment (so one build serves any gateway), gzip for browsers that take it, and
// headers that allow no script but our own. Plain Node, no dependencies: `npm start` and
// the `web` container both run it.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const DIST = fileURLToPath(new URL('./dist/', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.map']);

export function readConfig(env = process.env) {
  const port = Number(env.STOREFRONT_PORT ?? 5173);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid configuration: STOREFRONT_PORT must be an integer between 0 and 65535, got "${env.STOREFRONT_PORT}".`);
  }
  const gatewayUrl = env.GATEWAY_URL ?? 'http://localhost:4000/graphql';
  let gateway;
  try {
    gateway = new URL(gatewayUrl);
  } catch {
    throw new Error(`Invalid configuration: GATEWAY_URL is not a valid URL, got "${gatewayUrl}".`);
  }
  if (!['http:', 'https:'].includes(gateway.protocol)) throw new Error(`Invalid configuration: GATEWAY_URL must use http: or https:, got "${gateway.protocol}".`);
  return { port, host: env.HOST ?? '127.0.0.1', gatewayUrl, gatewayOrigin: gateway.origin };
}

export function createStorefrontServer({ gatewayUrl, gatewayOrigin }) {
  const configJs = `window.__STOREFRONT__ = ${JSON.stringify({ gatewayUrl })};\n`;
  const securityHeaders = {
    // The explorer's editor (Monaco) styles itself inline and runs its language services in workers.
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      // The gateway's WebSocket (subscriptions) too: named, not left to how a browser maps http: to ws:.
      `connect-src 'self' ${gatewayOrigin} ${gatewayOrigin.replace(/^http/, 'ws')}`,
      "worker-src 'self' blob:",
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
  const gzipped = new Map();

  return createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url.pathname === '/health') return send(request, response, 200, '{"status":"ok"}', '.json', 'no-store');
      if (url.pathname === '/ready') {
        const built = await stat(path.join(DIST, 'index.html')).then(() => true, () => false);
        return send(request, response, built ? 200 : 503, JSON.stringify({ status: built ? 'ready' : 'not built' }), '.json', 'no-store');
      }
      if (url.pathname === '/config.js') return send(request, response, 200, configJs, '.js', 'no-cache');

      const file = await findFile(url.pathname);
      if (file) {
        // Names under assets/ carry their content's hash: a changed file is a new name.
        const cache = url.pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
        return send(request, response, 200, await readFile(file), path.extname(file), cache, file);
      }
      if (url.pathname.startsWith('/assets/') || path.extname(url.pathname)) {
        return send(request, response, 404, 'Not found', '.html', 'no-store');
      }
      // Any other path is a page of the app: the browser-side router takes it from here.
      const index = path.join(DIST, 'index.html');
      return send(request, response, 200, await readFile(index), '.html', 'no-cache', index);
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', msg: 'request failed', err: String(error) }));
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    }
  });

  function send(request, response, status, body, extension, cacheControl, cacheKey) {
    const headers = { ...securityHeaders, 'content-type': TYPES[extension] ?? 'application/octet-stream', 'cache-control': cacheControl };
    let payload = typeof body === 'string' ? Buffer.from(body) : body;
    if (COMPRESSIBLE.has(extension) && payload.length > 1024) {
      headers.vary = 'accept-encoding';
      if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
        // Built files never change while the server runs: compress each once.
        const compressed = (cacheKey && gzipped.get(cacheKey)) ?? gzipSync(payload);
        if (cacheKey) gzipped.set(cacheKey, compressed);
        headers['content-encoding'] = 'gzip';
        payload = compressed;
      }
    }
    headers['content-length'] = String(payload.length);
    response.writeHead(status, headers).end(request.method === 'HEAD' ? undefined : payload);
  }
}

// Private: a file under dist/ for this path, never outside it.
async function findFile(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const file = path.join(DIST, path.normalize(decoded));
  if (!file.startsWith(DIST) || file === DIST) return undefined;
  const found = await stat(file).catch(() => undefined);
  return found?.isFile() ? file : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    console.error(`storefront: ${error.message}`);
    process.exit(1);
  }
  const server = createStorefrontServer(config);
  server.listen(config.port, config.host, () => {
    const { port } = server.address();
    console.log(JSON.stringify({ level: 'info', msg: 'storefront listening', url: `http://localhost:${port}`, gateway: config.gatewayUrl }));
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
