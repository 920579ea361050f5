// The users subgraph's own errors, on top of the shared codes in platform/errors.ts.
import { badInput, codedError, conflict, ErrorCode } from '../../platform/errors.js';

export const invalidCredentials = () => codedError(ErrorCode.Unauthenticated, 'Invalid email or password.');
export const emailTaken = () => conflict('An account with this email already exists.', { field: 'email' });

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
const MAX_EMAIL_LENGTH = 254;
const MAX_NAME_LENGTH = 100;
// Deliberately simple: one @, no spaces, a dot in the domain. Real validation is a confirmation mail.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (normalized.length > MAX_EMAIL_LENGTH || !EMAIL.test(normalized)) throw badInput('email is not a valid email address.', 'email');
  return normalized;
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
