// Addresses and channel choices come from the users subgraph, which owns them: asked once
// per batch of notifications through its `_entities` operation with this service's own
// credential (users lets this service, and no other, read a user's id, email, name, phone
// and notification preferences).
// Bounded by USERS_TIMEOUT_MS, its connect included (platform/outgoingCall.ts).
import { serviceTokenSource, type Tokens } from '../../platform/auth.js';
import { callWithDeadline, createCallPool } from '../../platform/outgoingCall.js';
import type { Recipient } from './channels.js';

const ENTITIES = 'query Recipients($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email name phone notificationPreferences { email sms } } } }';

interface UserAddresses {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  notificationPreferences: { email: boolean; sms: boolean };
}

export type RecipientLookup = (userIds: string[]) => Promise<Map<string, Recipient>>;

export function usersRecipientLookup(options: { url: string; timeoutMs: number; tokens: Tokens }): RecipientLookup {
  const serviceToken = serviceTokenSource(options.tokens, 'users');
  const pool = createCallPool({ connectTimeoutMs: options.timeoutMs, connections: 8 });
  return async (userIds) => {
    const unique = [...new Set(userIds)];
    const response = await callWithDeadline(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await serviceToken()}` },
      body: JSON.stringify({ query: ENTITIES, variables: { representations: unique.map((id) => ({ __typename: 'User', id })) } }),
      timeoutMs: options.timeoutMs,
      dispatcher: pool,
    });
    const reply = JSON.parse(response.text) as { data?: { _entities: (UserAddresses | null)[] }; errors?: { message: string }[] };
    if (!reply.data) throw new Error(`users did not give the addresses: ${reply.errors?.[0]?.message ?? response.status}`);
    const found = new Map<string, Recipient>();
    for (const user of reply.data._entities) {
      if (user) found.set(user.id, { userId: user.id, email: user.email, name: user.name, phone: user.phone ?? undefined, preferences: user.notificationPreferences });
    }
    return found;
  };
}
