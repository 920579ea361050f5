// Who is calling: user tokens (issued by the users subgraph, verified by the gateway
// and again by every subgraph, so a subgraph never trusts a bare header) and
// service tokens (held only by our own services, for the hidden internal operations).
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { PlatformConfig } from './config.js';

export type Role = 'CUSTOMER' | 'ADMIN';

export type Caller =
  | { kind: 'user'; userId: string; role: Role }
  | { kind: 'service'; service: string };

const INTERNAL_AUDIENCE = 'supergraph-internal';
const SERVICE_TOKEN_TTL_SECONDS = 300;
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
  signService(service: string): Promise<string>;
  /** Verifies a bearer token of either kind; throws InvalidTokenError. */
  verify(token: string): Promise<Caller>;
}

export function createTokens(config: Pick<PlatformConfig, 'jwtSecret' | 'jwtIssuer' | 'jwtAudience' | 'jwtTtlSeconds' | 'internalSecret'>): Tokens {
  const userKey = new TextEncoder().encode(config.jwtSecret);
  const serviceKey = new TextEncoder().encode(config.internalSecret);
  const verified = new Map<string, { caller: Caller; expiresAt: number }>();

  async function verifyWith(token: string, key: Uint8Array, audience: string) {
    try {
      const { payload } = await jwtVerify(token, key, { issuer: config.jwtIssuer, audience, algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      return payload;
    } catch (error) {
      throw new InvalidTokenError(error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid');
    }
  }

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

    signService: (service) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(service)
        .setIssuer(config.jwtIssuer)
        .setAudience(INTERNAL_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${SERVICE_TOKEN_TTL_SECONDS}s`)
        .sign(serviceKey),

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
    // The audience tells which key to check against; a user token can never pass as a
    // service token because the two are signed with different secrets.
    const [, body] = token.split('.');
    const audience = peekAudience(body);
    if (audience === INTERNAL_AUDIENCE) {
      const payload = await verifyWith(token, serviceKey, INTERNAL_AUDIENCE);
      if (!payload.sub) throw new InvalidTokenError('invalid');
      return { caller: { kind: 'service', service: payload.sub }, expiresAt: payload.exp! * 1000 };
    }
    const payload = await verifyWith(token, userKey, config.jwtAudience);
    if (!payload.sub || (payload.role !== 'CUSTOMER' && payload.role !== 'ADMIN')) throw new InvalidTokenError('invalid');
    return { caller: { kind: 'user', userId: payload.sub, role: payload.role }, expiresAt: payload.exp! * 1000 };
  }
}

/**
 * A service's credential for calling another service's hidden operations: tokens live
 * five minutes, and one is reused until a minute before it ends.
 */
export function serviceTokenSource(tokens: Tokens, service: string): () => Promise<string> {
  let token: { value: string; renewAt: number } | undefined;
  return async () => {
    if (!token || Date.now() > token.renewAt) {
      token = { value: await tokens.signService(service), renewAt: Date.now() + (SERVICE_TOKEN_TTL_SECONDS - 60) * 1000 };
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

/**
 * When a token expires (ms since the epoch), read from a token already verified: a
 * subscription outlives the request that checked it, and must end when its token does.
 */
export function tokenExpiresAt(token: string): number | undefined {
  try {
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

// Private: only used to choose a key; the verification that follows is what counts.
function peekAudience(body: string | undefined): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')).aud;
  } catch {
    return undefined;
  }
}
