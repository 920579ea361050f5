// The caller checks every subgraph makes; the rules themselves (who may do what) live
// in the resolvers of the subgraph that owns the data.
import type { Caller } from './auth.js';
import { forbidden, unauthenticated } from './errors.js';

export type UserCaller = Extract<Caller, { kind: 'user' }>;

export function requireUser(caller: Caller | null): UserCaller {
  if (!caller) throw unauthenticated();
  if (caller.kind !== 'user') throw forbidden('This operation is for signed-in users.');
  return caller;
}

export function requireAdmin(caller: Caller | null): UserCaller {
  const user = requireUser(caller);
  if (user.role !== 'ADMIN') throw forbidden('Only an admin can do this.');
  return user;
}

/**
 * The hidden service-to-service operations: only the named service may call them. A
 * service never passes requireUser or requireAdmin, so its token buys nothing else.
 */
export function requireService(caller: Caller | null, service: string): void {
  if (!caller) throw unauthenticated();
  if (caller.kind !== 'service' || caller.service !== service) throw forbidden(`Only the ${service} service can do this.`);
}

/**
 * Admins see everything; a customer sees what is theirs. Services see nothing through
 * this rule: what one needs to read is granted where it is read, field by field.
 */
export function canActFor(caller: Caller | null, userId: string): boolean {
  if (!caller || caller.kind !== 'user') return false;
  return caller.role === 'ADMIN' || caller.userId === userId;
}
