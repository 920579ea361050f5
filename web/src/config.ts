// Run-time settings, from /config.js (server.mjs writes it from its environment), so one
// build serves any gateway.
declare global {
  interface Window {
    __STOREFRONT__?: { gatewayUrl?: string };
  }
}

export const gatewayUrl: string = window.__STOREFRONT__?.gatewayUrl ?? 'http://localhost:4000/graphql';
