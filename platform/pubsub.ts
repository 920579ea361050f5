// Live events inside a subgraph: a change is published once, where it was committed, and
// every instance of the subgraph hears it, so a subscriber hears it whichever instance
// holds its subscription. On the embedded default (one process) that is an in-process
// fan-out; with NATS_URL it goes through NATS core subjects `<NATS_STREAM>.live.<topic>`.
//
// Core NATS rather than JetStream: a live event matters to whoever listens now. NATS
// delivers each message once to each subscribing connection, in the order one connection
// published it; storing events for listeners that are not there would cost an
// acknowledgement per event and buy nothing (a client that reconnects re-reads the state
// by query). docs/subscriptions.md has the rest of the reasoning.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from './logger.js';

export type Listener = (payload: unknown) => void;

export interface PubSub {
  /** Sends `payload` (JSON-able) to every listener of `topic` in every instance. */
  publish(topic: string, payload: unknown): void;
  /** Listens to `topic` in this process; the returned function stops listening. */
  subscribe(topic: string, listener: Listener): () => void;
  /** Whether every topic listened to is heard (NATS: connected, and the server has the subscriptions). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** Listeners by topic, for the one process that holds them. */
class LocalListeners {
  private readonly byTopic = new Map<string, Set<Listener>>();

  add(topic: string, listener: Listener): { first: boolean; remove: () => boolean } {
    let listeners = this.byTopic.get(topic);
    const first = !listeners;
    if (!listeners) this.byTopic.set(topic, (listeners = new Set()));
    listeners.add(listener);
    return {
      first,
      remove: () => {
        listeners.delete(listener);
        if (listeners.size > 0 || this.byTopic.get(topic) !== listeners) return false;
        this.byTopic.delete(topic);
        return true;
      },
    };
  }

  deliver(topic: string, payload: unknown) {
    // A listener that throws must not keep the event from the others.
    for (const listener of this.byTopic.get(topic) ?? []) {
      try {
        listener(payload);
      } catch {
        // the listener's own problem; it reports it itself
      }
    }
  }
}

export function localPubSub(): PubSub {
  const listeners = new LocalListeners();
  return {
    // Delivered on a later tick, as NATS would: a publisher's own code runs to its end
    // before any listener sees the event.
    publish: (topic, payload) => queueMicrotask(() => listeners.deliver(topic, payload)),
    subscribe: (topic, listener) => listeners.add(topic, listener).remove,
    ready: async () => true,
    close: async () => {},
  };
}

/**
 * `stream` is the deployment's NATS_STREAM: its live subjects are `<stream>.live.<topic>`,
 * so two deployments (or two test runs) sharing one NATS server never hear each other's
 * changes; the stream itself holds only `<stream>.order.*` and `<stream>.dead.*`, so
 * live events are never stored.
 */
export function natsPubSub(url: string, stream: string, name: string, log: Logger): PubSub {
  const listeners = new LocalListeners();
  const subjects = new Map<string, Subscription>();
  // Connects on first use; the client reconnects by itself after that, and buffers what
  // is published while it does.
  let connection: Promise<NatsConnection> | undefined;
  const connected = () =>
    (connection ??= connect({ servers: url, name: `${name}-live`, maxReconnectAttempts: -1, reconnectTimeWait: 1000 }).catch((error: unknown) => {
      connection = undefined;
      throw error;
    }));
  const subject = (topic: string) => `${stream}.live.${topic}`;

  let heard: Promise<void> = Promise.resolve();

  async function listen(topic: string) {
    const nats = await connected();
    if (subjects.has(topic)) return;
    const subscription = nats.subscribe(subject(topic));
    subjects.set(topic, subscription);
    // Ready once the server has acknowledged the subscription: events published after
    // that reach this instance.
    heard = heard.then(() => nats.flush());
    for await (const message of subscription) {
      let payload: unknown;
      try {
        payload = message.json();
      } catch {
        log.warn({ topic }, 'dropped a live event that is not JSON');
        continue;
      }
      listeners.deliver(topic, payload);
    }
  }

  return {
    publish(topic, payload) {
      connected()
        .then((nats) => nats.publish(subject(topic), JSON.stringify(payload)))
        .catch((error: unknown) => log.warn({ err: error, topic }, 'could not publish a live event'));
    },
    subscribe(topic, listener) {
      const { first, remove } = listeners.add(topic, listener);
      if (first) listen(topic).catch((error: unknown) => log.warn({ err: error, topic }, 'could not listen to live events'));
      return () => {
        if (!remove()) return;
        subjects.get(topic)?.unsubscribe();
        subjects.delete(topic);
      };
    },
    async ready() {
      if (!connection) return subjects.size === 0;
      return connection.then(async (nats) => {
        await heard;
        return !nats.isClosed();
      }, () => false);
    },
    async close() {
      const current = connection;
      connection = undefined;
      await current?.then((nats) => (nats.isClosed() ? undefined : nats.drain()), () => {});
    },
  };
}

/** The process's bus: NATS when `nats.url` is set, in process otherwise. */
export function openPubSub(nats: { url?: string; stream: string }, name: string, log: Logger): PubSub {
  return nats.url ? natsPubSub(nats.url, nats.stream, name, log) : localPubSub();
}
