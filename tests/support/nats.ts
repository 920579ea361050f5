// The JetStream streams tests make on the shared NATS server, removed after them.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export async function deleteStream(url: string, stream: string): Promise<void> {
  const nats = await connect({ servers: url });
  try {
    await (await jetstreamManager(nats)).streams.delete(stream).catch(() => {});
  } finally {
    await nats.close();
  }
}
