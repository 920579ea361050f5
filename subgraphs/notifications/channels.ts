// Where a notification goes once it is stored. Every notification is readable in the app
// (User.notifications); a channel is how it is also pushed: the service log by default,
// email when SMTP_URL is set, and SMS (smsChannel.ts) when SMS_PROVIDER_URL is set. A
// channel that reaches a person sends only to one who wants it (`accepts`).
import nodemailer from 'nodemailer';
import type { Logger } from '../../platform/logger.js';

export interface Recipient {
  userId: string;
  /** Looked up from the users subgraph only for channels that need it. */
  email?: string;
  name?: string;
  /** E.164, when the user has set one. */
  phone?: string;
  /** The user's choices; absent when the users subgraph did not answer for this user. */
  preferences?: { email: boolean; sms: boolean };
}

export interface OutgoingMessage {
  notificationId: string;
  to: Recipient;
  subject: string;
  body: string;
}

export interface Channel {
  name: 'log' | 'email' | 'sms';
  needsAddress: boolean;
  /** False when the recipient has not opted in: the delivery is recorded SKIPPED, not sent. */
  accepts(recipient: Recipient): boolean;
  /** Resolves once the message is accepted; throws to have it retried later. */
  send(message: OutgoingMessage): Promise<void>;
  close(): Promise<void>;
}

export function logChannel(log: Logger): Channel {
  return {
    name: 'log',
    needsAddress: false,
    // The log stands for the app's own inbox, which every user has.
    accepts: () => true,
    async send(message) {
      log.info({ notificationId: message.notificationId, userId: message.to.userId, subject: message.subject }, 'notification sent (log channel)');
    },
    close: async () => {},
  };
}

export function emailChannel(options: { smtpUrl: string; from: string; timeoutMs?: number }): Channel {
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: options.timeoutMs ?? 10_000,
    greetingTimeout: options.timeoutMs ?? 10_000,
    socketTimeout: options.timeoutMs ?? 10_000,
  });
  return {
    name: 'email',
    needsAddress: true,
    // On unless turned off. A user users does not know (no preferences) is not skipped:
    // the send fails for want of an address and is retried, as before preferences existed.
    accepts: (recipient) => recipient.preferences?.email !== false,
    async send(message) {
      if (!message.to.email) throw new Error(`no email address for user ${message.to.userId}`);
      await transport.sendMail({
        from: options.from,
        to: message.to.name ? { name: message.to.name, address: message.to.email } : message.to.email,
        subject: message.subject,
        text: message.body,
        // The same id on a re-send (after a crash between sending and recording it), so
        // mail systems can tell the two copies are one message.
        messageId: `<${message.notificationId}@notifications.supergraph>`,
      });
    },
    async close() {
      transport.close();
    },
  };
}
