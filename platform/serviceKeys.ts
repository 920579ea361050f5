// Each service's own identity for the hidden service-to-service operations: an Ed25519
// key pair per calling service. A service holds only its own private key; the services
// it calls hold its public keys. So no process can speak as another, and the gateway,
// which calls nothing hidden, holds no key at all. docs/service-identity.md says how to
// make keys, hand them out and rotate them.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError, envOptional } from './config.js';

type Env = Record<string, string | undefined>;

/** A key as it appears in configuration: `<kid>:<32 bytes, base64url>`. */
const KEY_PATTERN = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9_-]{43})$/;
// The fixed DER header of a PKCS#8 Ed25519 private key, followed by its 32-byte seed.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface TrustedKey {
  /** The service this key speaks for: a token it verifies must name this service. */
  service: string;
  publicKey: KeyObject;
}

export interface ServiceIdentity {
  /** This service's name: the audience a token sent to it must carry. */
  self: string;
  /** Its own private key; only services that call others have one. */
  signing?: SigningKey;
  /** The public keys of the services allowed to call it, by kid. */
  trusted: Map<string, TrustedKey>;
}

export interface IdentityRoles {
  /** Whether this service calls others' hidden operations (and so signs tokens). */
  signs?: boolean;
  /** The services whose calls this one accepts. */
  acceptsCallsFrom?: string[];
}

/**
 * Reads `<SELF>_PRIVATE_KEY` (for a service that signs) and `<CALLER>_PUBLIC_KEYS` (one
 * or more, comma-separated, for each accepted caller). In development an unset variable
 * falls back to that service's documented development key; production requires them and
 * refuses the development ones.
 */
export function readServiceIdentity(env: Env, self: string, roles: IdentityRoles, production: boolean): ServiceIdentity {
  const identity: ServiceIdentity = { self, trusted: new Map() };
  if (roles.signs) identity.signing = readSigningKey(env, self, production);
  for (const caller of roles.acceptsCallsFrom ?? []) {
    const variable = publicKeysVariable(caller);
    for (const { kid, publicKey } of readPublicKeys(env, caller, production)) {
      if (identity.trusted.has(kid)) throw new ConfigError(variable, `repeats the key id "${kid}"; every key needs an id of its own.`);
      identity.trusted.set(kid, { service: caller, publicKey });
    }
  }
  return identity;
}

/** The development key pair of a service: derived from its name, public, and refused in production. */
export function devServiceKey(service: string): { kid: string; privateKey: KeyObject; publicKey: KeyObject } {
  const seed = createHash('sha256').update(`supergraph-dev-only-service-key:${service}`).digest();
  const privateKey = privateKeyFromSeed(seed);
  return { kid: `${service}-dev`, privateKey, publicKey: createPublicKey(privateKey) };
}

export const privateKeyVariable = (service: string) => `${service.toUpperCase()}_PRIVATE_KEY`;
export const publicKeysVariable = (service: string) => `${service.toUpperCase()}_PUBLIC_KEYS`;

// Private: the one place a configured private key is read and checked.
function readSigningKey(env: Env, service: string, production: boolean): SigningKey {
  const variable = privateKeyVariable(service);
  const raw = envOptional(env, variable);
  const dev = devServiceKey(service);
  if (raw === undefined) {
    if (production) throw new ConfigError(variable, 'is required in production (`npm run keys` prints a fresh key pair).');
    return { kid: dev.kid, privateKey: dev.privateKey };
  }
  const { kid, bytes } = parseKey(variable, raw);
  const privateKey = privateKeyFromSeed(bytes);
  if (production && sameKey(createPublicKey(privateKey), dev.publicKey)) {
    throw new ConfigError(variable, 'is the documented development key; make one of your own for production (`npm run keys`).');
  }
  return { kid, privateKey };
}

// Private: the public keys a caller may use, several during a rotation.
function readPublicKeys(env: Env, service: string, production: boolean): { kid: string; publicKey: KeyObject }[] {
  const variable = publicKeysVariable(service);
  const raw = envOptional(env, variable);
  const dev = devServiceKey(service);
  if (raw === undefined) {
    if (production) throw new ConfigError(variable, `is required in production: the public key(s) of the ${service} service, which calls this one.`);
    return [{ kid: dev.kid, publicKey: dev.publicKey }];
  }
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) throw new ConfigError(variable, 'lists no key.');
  return entries.map((entry) => {
    const { kid, bytes } = parseKey(variable, entry);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
    } catch {
      throw new ConfigError(variable, `has a key "${kid}" that is not an Ed25519 public key.`);
    }
    if (production && sameKey(publicKey, dev.publicKey)) {
      throw new ConfigError(variable, 'includes the documented development key; list only keys of your own in production.');
    }
    return { kid, publicKey };
  });
}

// Private: splits `<kid>:<base64url>`; the message never repeats the value, which may be a secret.
function parseKey(variable: string, raw: string): { kid: string; bytes: Buffer } {
  const match = KEY_PATTERN.exec(raw.trim());
  if (!match) throw new ConfigError(variable, 'must be <key id>:<32 bytes in base64url>, as `npm run keys` prints it.');
  return { kid: match[1]!, bytes: Buffer.from(match[2]!, 'base64url') };
}

function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ format: 'jwk' }).x === b.export({ format: 'jwk' }).x;
}
