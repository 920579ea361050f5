// `npm run keys [service…]`: prints a fresh Ed25519 key pair for each service that calls
// another's hidden operations (orders and notifications), as the environment variables
// that carry them, ready for a .env file or a Kubernetes Secret. Plain JavaScript on
// node:crypto alone, so it runs before anything is installed or built. The format is
// the one platform/serviceKeys.ts reads; docs/service-identity.md says where each goes.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

const SIGNING_SERVICES = ['orders', 'notifications'];

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !SIGNING_SERVICES.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown service ${unknown.join(', ')}: the services that sign are ${SIGNING_SERVICES.join(' and ')}.`);
  process.exit(2);
}
const services = asked.length > 0 ? asked : SIGNING_SERVICES;

// A key id says whose key it is and when it was made; the random tail keeps two made
// the same day apart (the services refuse a key id listed twice).
const day = new Date().toISOString().slice(0, 10);
const pairs = services.map((service) => {
  const kid = `${service}-${day}-${randomBytes(2).toString('hex')}`;
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return { service, privateKey: `${kid}:${jwk.d}`, publicKey: `${kid}:${jwk.x}` };
});

console.log(`# Service keys made ${new Date().toISOString()} (Ed25519; docs/service-identity.md).`);
console.log('# Private: each to its own service only, from a secret store.');
for (const { service, privateKey } of pairs) console.log(`${service.toUpperCase()}_PRIVATE_KEY=${privateKey}`);
console.log('# Public: to the services it calls (not secret). During a rotation, list old and new: OLD,NEW.');
for (const { service, publicKey } of pairs) console.log(`${service.toUpperCase()}_PUBLIC_KEYS=${publicKey}`);
