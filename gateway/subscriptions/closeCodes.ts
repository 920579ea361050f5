// How the gateway closes a subscription WebSocket, and what a client should do about it.
// graphql-ws's own codes (4400, 4408, 4409, 4429…) keep their meaning; these are the ones
// the gateway itself closes with.
export enum LiveCloseCode {
  /** The gateway is shutting down: reconnect (another instance will answer). WebSocket's Going Away. */
  GoingAway = 1001,
  /** The token in connection_init is not valid, or it expired while connected: reconnect with a fresh one. */
  Forbidden = 4403,
  /** Events came faster than the client read them (past SUBSCRIPTION_MAX_QUEUED_EVENTS): reconnect and re-read. */
  SlowConsumer = 4413,
}
