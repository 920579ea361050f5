// Which browser origins may call the gateway: Apollo Sandbox, pages served from this
// machine (any port) in development, and whatever CORS_ORIGINS adds.
const SANDBOX_ORIGINS = new Set(['https://studio.apollographql.com', 'https://sandbox.embed.apollographql.com']);
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export function corsPolicy(options: { production: boolean; extraOrigins: string[] }) {
  const extra = new Set(options.extraOrigins);
  return (origin: string) => extra.has(origin) || SANDBOX_ORIGINS.has(origin) || (!options.production && LOCAL_ORIGIN.test(origin));
}
