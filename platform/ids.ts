// Entity IDs are UUIDs: a malformed one is bad input, not a database error.
import { badInput } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function requireUuid(value: string, field: string): string {
  if (!isUuid(value)) throw badInput(`${field} must be a UUID, got ${JSON.stringify(value.slice(0, 64))}.`, field);
  return value.toLowerCase();
}
