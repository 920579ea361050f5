// The storefront's run-time settings. server.mjs answers /config.js itself from its
// environment (GATEWAY_URL); this file is what `npm run dev` (Vite) serves.
window.__STOREFRONT__ = { gatewayUrl: 'http://localhost:4000/graphql' };
