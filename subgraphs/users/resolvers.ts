import { canActFor, requireAdmin } from '../../platform/authorization.js';
import { forbidden, unauthenticated } from '../../platform/errors.js';
import { rateLimited } from '../../platform/rateLimit.js';
import { isUuid } from '../../platform/ids.js';
import { isUniqueViolation } from '../../platform/prismaErrors.js';
import { DateTime } from '../../platform/scalars.js';
import type { UsersContext } from './context.js';
import { listUsers } from './directory.js';
import { emailTaken, invalidCredentials, normalizeEmail, signInEmail, validateName, validatePassword } from './errors.js';
import type { User } from './generated/prisma/client.js';
import type { Resolvers } from './generated/resolvers.js';
import { decoyHash, hashPassword, verifyPassword } from './passwords.js';
import { updateMe } from './profile.js';

/**
 * The services that read users (as entities, never through a query), and the fields each
 * needs: notifications, the address and name its email channel writes to, the phone its
 * SMS channel texts and the channels the user chose. Any other field, or any other
 * service, is refused.
 */
const SERVICE_READS: Readonly<Record<string, ReadonlySet<string>>> = {
  notifications: new Set(['id', 'email', 'name', 'phone', 'notificationPreferences']),
};

/** A user's record is visible to that user and to admins. */
function assertCanRead(context: UsersContext, userId: string): void {
  if (!context.caller) throw unauthenticated();
  if (!canActFor(context.caller, userId)) throw forbidden('You can only see your own account.');
}

function assertCanResolve(context: UsersContext, userId: string): void {
  const caller = context.caller;
  if (caller?.kind === 'service' && Object.hasOwn(SERVICE_READS, caller.service)) return;
  assertCanRead(context, userId);
}

/**
 * A field outside what the calling service was granted is refused; users and admins pass.
 * Every User field that no service is granted calls it (a new field needs it too).
 */
function assertServiceMayRead(context: UsersContext, field: string): void {
  const caller = context.caller;
  if (caller?.kind === 'service' && !SERVICE_READS[caller.service]?.has(field)) throw forbidden(`The ${caller.service} service may not read User.${field}.`);
}

async function authPayload(context: UsersContext, user: User) {
  return { token: await context.tokens.signUser({ id: user.id, role: user.role }), user };
}

export const resolvers: Resolvers = {
  DateTime,

  Query: {
    me: (_parent, _args, context) =>
      context.caller?.kind === 'user' ? context.loaders.userById.load(context.caller.userId) : null,

    user: (_parent, { id }, context) => {
      assertCanRead(context, id);
      return isUuid(id) ? context.loaders.userById.load(id.toLowerCase()) : null;
    },

    users: (_parent, args, context) => {
      requireAdmin(context.caller);
      return listUsers(context.prisma, args);
    },
  },

  Mutation: {
    async signUp(_parent, { input }, context) {
      const email = normalizeEmail(input.email);
      const name = validateName(input.name);
      const password = validatePassword(input.password);
      const passwordHash = await context.passwordHashing.run('signUp', () => hashPassword(password));
      try {
        const user = await context.prisma.user.create({ data: { email, name, passwordHash } });
        context.log.info({ userId: user.id }, 'user signed up');
        return authPayload(context, user);
      } catch (error) {
        if (isUniqueViolation(error)) throw emailTaken();
        throw error;
      }
    },

    async logIn(_parent, { email, password }, context) {
      const key = signInEmail(email);
      // Every attempt counts before the password is checked (so parallel guesses cannot
      // slip past the count) and a success clears the count. Unknown emails count the
      // same way, so the throttle says nothing about which accounts exist.
      const attempts = await context.loginAttempts?.hit(key);
      if (attempts && !attempts.allowed) throw rateLimited('Too many sign-in attempts for this account.', attempts);
      const { user, matches } = await context.passwordHashing
        .run('logIn', async () => {
          const found = await context.prisma.user.findUnique({ where: { email: key } });
          // Always run the KDF, so an unknown email answers as slowly as a wrong password.
          return { user: found, matches: await verifyPassword(password, found?.passwordHash ?? (await decoyHash())) };
        })
        .catch(async (error: unknown) => {
          // Refused as busy (or failed) before a password was checked: no guess was made, none is counted.
          await context.loginAttempts?.refund(key);
          throw error;
        });
      if (!user || !matches) throw invalidCredentials();
      await context.loginAttempts?.reset(key);
      return authPayload(context, user);
    },

    updateMe: (_parent, { input }, context) => updateMe(input, context),
  },

  User: {
    __resolveReference(reference, context) {
      assertCanResolve(context, reference.id);
      return isUuid(reference.id) ? context.loaders.userById.load(reference.id.toLowerCase()) : null;
    },
    role(user, _args, context) {
      assertServiceMayRead(context, 'role');
      return user.role;
    },
    createdAt(user, _args, context) {
      assertServiceMayRead(context, 'createdAt');
      return user.createdAt;
    },
    // Whoever can see the user (themselves, admins, the notifications service) sees these.
    phone: (user) => user.phone,
    notificationPreferences: (user) => ({ email: user.notifyByEmail, sms: user.notifyBySms }),
  },
};
