// The JetStream stream both sides of the order events use when NATS_URL is set. Either
// side may start first, so both make sure the stream exists (adding it is idempotent when
// the configuration matches) and has every subject (events and dead letters). Events live
// in the stream for a week: a consumer that was down for days still finds them.
import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger.js';
import { streamSubjects } from './events.js';

const RETENTION_MS = 7 * 24 * 3600 * 1000;
/** Publishes with the same Nats-Msg-Id within this window are stored once. */
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

export interface EventStreamConnection {
  nats: NatsConnection;
  manager: JetStreamManager;
  close(): Promise<void>;
}

export async function connectEventStream(url: string, stream: string, name: string, log: Logger): Promise<EventStreamConnection> {
  // Reconnects forever: a NATS restart is an outage to wait out, not a reason to exit.
  const nats = await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
  void (async () => {
    for await (const status of nats.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') log.warn({ nats: status.type }, `NATS ${status.type}`);
    }
  })();
  const manager = await jetstreamManager(nats);
  await ensureStream(manager, stream, log);
  return {
    nats,
    manager,
    async close() {
      if (!nats.isClosed()) await nats.drain();
    },
  };
}

async function ensureStream(manager: JetStreamManager, stream: string, log: Logger): Promise<void> {
  const config = {
    name: stream,
    subjects: streamSubjects(stream),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(RETENTION_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  let existing: StreamInfo;
  try {
    existing = await manager.streams.info(stream);
  } catch {
    try {
      await manager.streams.add(config);
      return;
    } catch (error) {
      // The other side added it at the same moment.
      existing = await manager.streams.info(stream).catch(() => {
        throw error;
      });
    }
  }
  // A stream made by an earlier version lacks the dead-letter subjects: add them, keeping
  // whatever else an operator gave it.
  const missing = config.subjects.filter((subject) => !existing.config.subjects?.includes(subject));
  if (missing.length > 0) {
    await manager.streams.update(stream, { ...existing.config, subjects: [...(existing.config.subjects ?? []), ...missing] });
    log.info({ stream, added: missing }, 'event stream subjects updated');
  }
}
