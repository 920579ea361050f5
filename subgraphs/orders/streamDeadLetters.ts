// Dead letters on NATS, for the operator's CLI (deadLettersCli.ts): the notifications
// consumer puts an event it gave up on at `<stream>.dead.<orderId>`, in the same stream
// (kept as long as the events), with why in its headers. Listed here, and sent back to
// the order's subject once the cause is fixed; the consumer's idempotency by event id
// makes a second arrival harmless.
import { jetstream, type MsgRequest } from '@nats-io/jetstream';
import type { EventStreamConnection } from '../../platform/eventStream.js';
import { orderSubject } from '../../platform/events.js';

export interface StreamDeadLetter {
  /** Its place in the stream. */
  seq: number;
  eventId: string;
  orderId: string;
  type: string;
  reason: string;
  deliveries: string;
  parkedAt: Date;
}

interface Found extends StreamDeadLetter {
  data: Uint8Array;
}

async function* deadLetters(connection: EventStreamConnection, stream: string): AsyncGenerator<Found> {
  for (let seq = 1; ; ) {
    // The next message at or after `seq` on a dead-letter subject. The server's
    // STREAM.MSG.GET takes next_by_subj (2.9 and later); the client types it for direct gets only.
    const query = { seq, next_by_subj: `${stream}.dead.*` } as unknown as MsgRequest;
    const message = await connection.manager.streams.getMessage(stream, query);
    if (!message) return;
    let event: { id?: string; type?: string } = {};
    try {
      event = message.json();
    } catch {
      // Unreadable (that may be why it is here): listed by its subject alone.
    }
    yield {
      seq: message.seq,
      eventId: event.id ?? '?',
      orderId: message.subject.slice(message.subject.lastIndexOf('.') + 1),
      type: event.type ?? '?',
      reason: message.header?.get('Dead-Letter-Reason') ?? '',
      deliveries: message.header?.get('Deliveries') ?? '?',
      parkedAt: message.time,
      data: message.data,
    };
    seq = message.seq + 1;
  }
}

/** The stream's dead letters, oldest first. */
export async function listStreamDeadLetters(connection: EventStreamConnection, stream: string): Promise<StreamDeadLetter[]> {
  const found: StreamDeadLetter[] = [];
  for await (const { data: _data, ...letter } of deadLetters(connection, stream)) found.push(letter);
  return found;
}

/**
 * Publishes dead letters (those with these event ids, or all) to their order's subject
 * again, then removes them from the dead-letter subject. Answers the event ids sent back.
 */
export async function requeueStreamDeadLetters(connection: EventStreamConnection, stream: string, eventIds?: string[]): Promise<string[]> {
  const js = jetstream(connection.nats);
  const sent: string[] = [];
  for await (const letter of deadLetters(connection, stream)) {
    if (eventIds && !eventIds.includes(letter.eventId)) continue;
    // A message id of its own: the event's id may still be in the stream's duplicate window.
    await js.publish(orderSubject(stream, letter.orderId), letter.data, { msgID: `requeue-${letter.seq}` });
    await connection.manager.streams.deleteMessage(stream, letter.seq);
    sent.push(letter.eventId);
  }
  return sent;
}
