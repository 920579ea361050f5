// The SMS channel: one HTTP request per message to an SMS provider's API (docs/channels.md
// has the request shape). The provider is told the notification's id as the message's
// idempotency key, so a re-send after a crash (or after a timeout whose request did get
// through) is one text message at a provider that dedupes on it.
//
// On undici's request API with a pool of its own, as the orders service calls inventory:
// every call is bounded by `timeoutMs` however the provider behaves (slow to connect,
// slow to answer, slow to finish the body).
import { Agent, request } from 'undici';
import type { Channel, OutgoingMessage, Recipient } from './channels.js';

export interface SmsChannelOptions {
  /** The provider's endpoint for one message: POST, JSON in, 2xx when accepted. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token: string;
  /** The sender id or number the provider shows (optional: many providers fix it per account). */
  from?: string;
  timeoutMs: number;
}

/** What the provider receives: the request shape documented in docs/channels.md. */
export interface SmsRequest {
  to: string;
  body: string;
  /** Stable per notification: the same on every attempt, for the provider to dedupe on. */
  messageId: string;
  from?: string;
}

/**
 * The longest text sent: ten 160-character segments, a common provider cap for one
 * concatenated message. An order's confirmation with many lines is cut with an ellipsis;
 * the whole of it is in the app.
 */
export const MAX_SMS_LENGTH = 1600;

/** The text of a notification as an SMS: its subject line, then its body. */
export function smsText(message: Pick<OutgoingMessage, 'subject' | 'body'>): string {
  const text = `${message.subject}\n${message.body}`;
  return text.length <= MAX_SMS_LENGTH ? text : `${text.slice(0, MAX_SMS_LENGTH - 1)}…`;
}

export function smsChannel(options: SmsChannelOptions): Channel {
  const pool = new Agent({ connectTimeout: options.timeoutMs, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  return {
    name: 'sms',
    needsAddress: true,
    // Opt-in: only a user who turned SMS on, and has a number to send to.
    accepts: (recipient: Recipient) => recipient.preferences?.sms === true && Boolean(recipient.phone),
    async send(message) {
      const payload: SmsRequest = { to: message.to.phone!, body: smsText(message), messageId: message.notificationId, ...(options.from ? { from: options.from } : {}) };
      const response = await request(options.url, {
        method: 'POST',
        dispatcher: pool,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${options.token}`,
          // The same key as a header too: the convention most HTTP APIs dedupe on.
          'idempotency-key': message.notificationId,
        },
        body: JSON.stringify(payload),
        // One deadline for the whole exchange, on top of the pool's per-phase limits.
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // Read (a little of) the answer either way, so the connection can be reused.
      const answer = (await response.body.text()).slice(0, 200);
      if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`SMS provider answered ${response.statusCode}: ${answer}`);
    },
    async close() {
      await pool.close();
    },
  };
}
