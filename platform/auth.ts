// Who is calling: user tokens (issued by the users subgraph, verified by the gateway
// and again by every subgraph, so a subgraph never trusts a bare header) and service
// tokens (each calling service signs its own with its own Ed25519 key, for the hidden
// internal operations of one other service; see platform/serviceKeys.ts).
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { PlatformConfig } from './config.js';
import type { ServiceIdentity } from './serviceKeys.js';

export type Role = 'CUSTOMER' | 'ADMIN';

export type Caller =
  | { kind: 'user'; userId: string; role: Role }
  | { kind: 'service'; service: string };

const SERVICE_TOKEN_TTL_SECONDS = 300;
/** Clocks of services on different hosts may differ by this much. */
const SERVICE_CLOCK_TOLERANCE_SECONDS = 30;
/** Tokens remembered as verified; a client sends the same one with every request. */
const VERIFIED_CACHE_SIZE = 10_000;

export class InvalidTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'The token has expired; sign in again.' : 'The token is not valid.');
    this.name = 'InvalidTokenError';
  }
}

export interface Tokens {
  signUser(user: { id: string; role: Role }): Promise<string>;
  /** A token for calling `audience`'s hidden operations as this service; only a service with a signing key has one. */
  signService(audience: string): Promise<string>;
  /** Verifies a bearer token of either kind; throws InvalidTokenError. */
  verify(token: string): Promise<Caller>;
}

/**
 * `identity` is the process's own service identity; null (the gateway) accepts no service
 * token and can make none.
 */
export function createTokens(config: Pick<PlatformConfig, 'jwtSecret' | 'jwtIssuer' | 'jwtAudience' | 'jwtTtlSeconds'>, identity: ServiceIdentity | null): Tokens {
  const userKey = new TextEncoder().encode(config.jwtSecret);
  const verified = new Map<string, { caller: Caller; expiresAt: number }>();

  return {
    signUser: (user) =>
      new SignJWT({ role: user.role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(config.jwtIssuer)
        .setAudience(config.jwtAudience)
        .setIssuedAt()
        .setExpirationTime(`${config.jwtTtlSeconds}s`)
        .sign(userKey),

    async signService(audience) {
      const signing = identity?.signing;
      if (!identity || !signing) throw new Error(`${identity?.self ?? 'This process'} has no service key: it calls no other service's hidden operations.`);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid })
        .setIssuer(identity.self)
        .setSubject(identity.self)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${SERVICE_TOKEN_TTL_SECONDS}s`)
        .sign(signing.privateKey);
    },

    async verify(token) {
      // Checking a signature is an async WebCrypto job, and every process a request
      // passes through checks the same token: a token seen valid is remembered (by its
      // whole text, signature included) until it expires.
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.caller;
      const { caller, expiresAt } = await verifyUncached(token);
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!); // the oldest
      verified.set(token, { caller, expiresAt });
      return caller;
    },
  };

  async function verifyUncached(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    // User tokens are known by their audience; anything else can only be a service token
    // meant for this very service. Each path pins its one algorithm and its own keys, so
    // neither kind can pass as the other (no alg "none", no HS256 made with a public key).
    if (peekAudience(token) !== config.jwtAudience) return verifyService(token);
    const { payload } = await verifying(() => jwtVerify(token, userKey, { issuer: config.jwtIssuer, audience: config.jwtAudience, algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
    if (!payload.sub || (payload.role !== 'CUSTOMER' && payload.role !== 'ADMIN')) throw new InvalidTokenError('invalid');
    return { caller: { kind: 'user', userId: payload.sub, role: payload.role }, expiresAt: payload.exp! * 1000 };
  }

  async function verifyService(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    if (!identity || identity.trusted.size === 0) throw new InvalidTokenError('invalid');
    const { self, trusted } = identity;
    const { payload, protectedHeader } = await verifying(() =>
      jwtVerify(
        token,
        (header) => {
          const key = trusted.get(header.kid ?? '');
          if (!key) throw new InvalidTokenError('invalid');
          return key.publicKey;
        },
        {
          algorithms: ['EdDSA'],
          audience: self,
          requiredClaims: ['exp', 'iat', 'iss', 'sub'],
          maxTokenAge: SERVICE_TOKEN_TTL_SECONDS,
          clockTolerance: SERVICE_CLOCK_TOLERANCE_SECONDS,
        },
      ),
    );
    // A key speaks only for its own service, and for no longer than a service token lives.
    const { service } = trusted.get(protectedHeader.kid!)!;
    if (payload.iss !== service || payload.sub !== service) throw new InvalidTokenError('invalid');
    if (payload.exp! - payload.iat! > SERVICE_TOKEN_TTL_SECONDS) throw new InvalidTokenError('invalid');
    return { caller: { kind: 'service', service }, expiresAt: payload.exp! * 1000 };
  }
}

// Private: jose's many reasons become the two a caller is told.
async function verifying<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    throw new InvalidTokenError(error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid');
  }
}

/**
 * This service's credential for calling `audience`'s hidden operations: tokens live five
 * minutes, and one is reused until a minute before it ends.
 */
export function serviceTokenSource(tokens: Tokens, audience: string): () => Promise<string> {
  let token: { value: string; renewAt: number } | undefined;
  return async () => {
    if (!token || Date.now() > token.renewAt) {
      token = { value: await tokens.signService(audience), renewAt: Date.now() + (SERVICE_TOKEN_TTL_SECONDS - 60) * 1000 };
    }
    return token.value;
  };
}

/** Reads the bearer token of an Authorization header; undefined when there is none. */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new InvalidTokenError('invalid');
  return match[1];
}

// Private: only used to choose how to verify; the verification that follows is what counts.
function peekAudience(token: string): unknown {
  const [, body] = token.split('.');
  if (!body) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')).aud;
  } catch {
    return undefined;
  }
}
