// The limits on subscriptions at the gateway (README "Configuration", docs/subscriptions.md).
export interface SubscriptionSettings {
  /** Subscriptions one connection may hold at once. @default 50 */
  maxPerConnection: number;
  /** Subscriptions one user (signed out: one client IP) may hold at once on one gateway instance. @default 100 */
  maxPerUser: number;
  /** How long a WebSocket may stay open without its connection_init. @default 10000 */
  initTimeoutMs: number;
  /** How often each WebSocket is pinged; one that does not answer within as long is dropped. @default 12000 */
  keepAliveMs: number;
  /** Events waiting to be sent to one subscription before its connection counts as too slow and is dropped. @default 100 */
  maxQueuedEvents: number;
}
