// Token verification as every process does it, including the cache of verified tokens:
// a remembered token still stops working when it expires, and tokens without an expiry
// or with another key are never accepted.
import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { createTokens, InvalidTokenError } from '../platform/auth.js';
import { readPlatformConfig } from '../platform/config.js';

const config = readPlatformConfig({});
const tokens = createTokens(config, null);
const key = new TextEncoder().encode(config.jwtSecret);

const userToken = (claims: { exp?: number }) => {
  const token = new SignJWT({ role: 'CUSTOMER' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u-1').setIssuer(config.jwtIssuer).setAudience(config.jwtAudience);
  if (claims.exp !== undefined) token.setExpirationTime(claims.exp);
  return token.sign(key);
};

describe('verifying tokens', () => {
  it('remembers a valid token, but not past its expiry', async () => {
    // At least 2 s of life (exp is in whole seconds), so a busy machine still verifies it in time.
    const exp = Math.ceil(Date.now() / 1000) + 2;
    const token = await userToken({ exp });
    expect(await tokens.verify(token)).toEqual({ kind: 'user', userId: 'u-1', role: 'CUSTOMER' });
    expect(await tokens.verify(token)).toEqual({ kind: 'user', userId: 'u-1', role: 'CUSTOMER' }); // from the cache
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 100));
    await expect(tokens.verify(token)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('refuses a token without an expiry, though correctly signed', async () => {
    await expect(tokens.verify(await userToken({}))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('refuses a token whose signature was changed after it was remembered', async () => {
    const token = await userToken({ exp: Math.floor(Date.now() / 1000) + 60 });
    await tokens.verify(token);
    const [header, body, signature] = token.split('.');
    const tampered = `${header}.${body}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(tokens.verify(tampered)).rejects.toMatchObject({ reason: 'invalid' });
  });
});
