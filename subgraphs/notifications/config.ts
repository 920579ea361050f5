// The notifications subgraph's settings, read once at start-up.
import { readSubgraphSettings, type SubgraphSettings } from '../../platform/bootstrap.js';
import { ConfigError, envInt, envOptional, envString, envUrl } from '../../platform/config.js';
import { readEventStreamSettings, type EventStreamSettings } from '../../platform/events.js';

export interface NotificationsConfig extends SubgraphSettings {
  /** Where the users subgraph answers `_entities`: the email channel asks it for addresses. */
  usersUrl: string;
  usersTimeoutMs: number;
  /** smtp://… or smtps://… : send notifications as email; unset keeps them in the log channel. */
  smtpUrl?: string;
  mailFrom: string;
  /** The SMS provider's endpoint for one message (docs/channels.md); unset: no SMS channel. */
  smsProviderUrl?: string;
  /** The provider's credential, sent as a bearer token; required with smsProviderUrl. */
  smsProviderToken?: string;
  /** The sender id or number the provider shows, when the account lets the sender choose. */
  smsFrom?: string;
  /** The whole of one call to the provider, connection to answer. */
  smsTimeoutMs: number;
  /** How often notifications waiting to be sent are looked for. */
  sendSweepMs: number;
  /** Attempts before a notification is marked FAILED; retries back off from sendRetryBaseMs, doubling. */
  sendMaxAttempts: number;
  sendRetryBaseMs: number;
  /** How long a sender holds a notification it is sending (renewed while the send runs). */
  sendClaimMs: number;
  /** How long an event waits for the ones before it (same order) before it is applied anyway. */
  eventOrderWaitMs: number;
  events: EventStreamSettings;
  /** The durable JetStream consumer this service reads with (instances share it). */
  natsConsumer: string;
  /** Deliveries of one event before it is dead-lettered (failing) or applied anyway (waiting). */
  natsMaxDeliver: number;
}

export function readNotificationsConfig(env: Record<string, string | undefined> = process.env): NotificationsConfig {
  // Notifications reads addresses from users, and takes order events from orders.
  const smsProviderUrl = envUrl(env, 'SMS_PROVIDER_URL', ['http:', 'https:']);
  const smsProviderToken = envOptional(env, 'SMS_PROVIDER_TOKEN');
  if (smsProviderUrl && !smsProviderToken) throw new ConfigError('SMS_PROVIDER_TOKEN', 'is required when SMS_PROVIDER_URL is set.');
  return {
    ...readSubgraphSettings(env, 'notifications', 4004, { signs: true, acceptsCallsFrom: ['orders'] }),
    usersUrl: envUrl(env, 'USERS_URL', ['http:', 'https:']) ?? 'http://localhost:4001/graphql',
    usersTimeoutMs: envInt(env, 'USERS_TIMEOUT_MS', 5000, { min: 100, max: 120_000 }),
    smtpUrl: envUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: envString(env, 'MAIL_FROM', 'Supergraph shop <no-reply@localhost>'),
    smsProviderUrl,
    smsProviderToken,
    smsFrom: envOptional(env, 'SMS_FROM'),
    smsTimeoutMs: envInt(env, 'SMS_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    sendSweepMs: envInt(env, 'NOTIFY_SWEEP_MS', 1000, { min: 50, max: 3_600_000 }),
    sendMaxAttempts: envInt(env, 'NOTIFY_MAX_ATTEMPTS', 8, { min: 1, max: 100 }),
    sendRetryBaseMs: envInt(env, 'NOTIFY_RETRY_BASE_MS', 2000, { min: 10, max: 3_600_000 }),
    sendClaimMs: envInt(env, 'NOTIFY_CLAIM_MS', 60_000, { min: 100, max: 3_600_000 }),
    eventOrderWaitMs: envInt(env, 'EVENT_ORDER_WAIT_MS', 300_000, { min: 0, max: 7 * 86_400_000 }),
    events: readEventStreamSettings(env),
    natsConsumer: envOptional(env, 'NATS_CONSUMER') ?? 'notifications',
    natsMaxDeliver: envInt(env, 'NATS_MAX_DELIVER', 20, { min: 1, max: 10_000 }),
  };
}
