// The users subgraph's own errors, on top of the shared codes in platform/errors.ts.
import { badInput, codedError, conflict, ErrorCode } from '../../platform/errors.js';

export const invalidCredentials = () => codedError(ErrorCode.Unauthenticated, 'Invalid email or password.');
export const emailTaken = () => conflict('An account with this email already exists.', { field: 'email' });
/** The password-hash queue is full (kdfQueue.ts): nothing was checked or created; retry shortly. */
export const passwordChecksBusy = () =>
  codedError(ErrorCode.RateLimited, 'Too many sign-ins are being checked right now. Try again in 1 s.', { reason: 'busy', retryAfterSeconds: 1 });

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
/** The longest address SMTP can carry (RFC 5321's path limit, less the brackets). */
export const MAX_EMAIL_LENGTH = 254;
const MAX_NAME_LENGTH = 100;
// Deliberately simple: one @, no spaces, a dot in the domain. Real validation is a confirmation mail.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (normalized.length > MAX_EMAIL_LENGTH || !EMAIL.test(normalized)) throw badInput('email is not a valid email address.', 'email');
  return normalized;
}

/**
 * The key an email is signed in and throttled under (lower case, trimmed). Anything longer
 * than an address can be is refused before it is looked up or becomes a rate-limit key.
 */
export function signInEmail(email: string): string {
  const key = email.trim().toLowerCase();
  if (key.length > MAX_EMAIL_LENGTH) throw badInput(`email must be at most ${MAX_EMAIL_LENGTH} characters long.`, 'email');
  return key;
}

export function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
    throw badInput(`name must be 1 to ${MAX_NAME_LENGTH} characters long.`, 'name');
  }
  return trimmed;
}

export function validatePassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw badInput(`password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters long.`, 'password');
  }
  return password;
}

/** E.164: a plus, a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{7,14}$/;
/** What people write between digit groups; removed before the number is checked. */
const PHONE_PUNCTUATION = /[\s().-]/g;

/** A phone number as it is stored: E.164, or BAD_USER_INPUT naming the field. */
export function normalizePhone(phone: string, field = 'phone'): string {
  const compact = phone.replace(PHONE_PUNCTUATION, '');
  if (!E164.test(compact)) throw badInput(`${field} must be an international number in E.164 form, such as +14155550123.`, field);
  return compact;
}

export const smsNeedsPhone = () => badInput('SMS notifications need a phone number: set phone first, or in the same call.', 'notificationPreferences.sms');
