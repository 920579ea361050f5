// Where the signed-in user's token lives: localStorage, under one key. It survives a
// reload and is shared by the shop's tabs (signing out in one signs out all); it expires
// with the token itself (JWT_TTL_SECONDS, an hour by default), after which the gateway
// answers UNAUTHENTICATED and the app asks to log in again. Scripts on this origin can
// read it, as they could read anything the page shows: the defence is serving no script
// but our own (server.mjs sends a Content-Security-Policy with script-src 'self').
const KEY = 'storefront.token';

export interface StoredSession {
  token: string;
  userId: string;
  name: string;
  role: 'CUSTOMER' | 'ADMIN';
}

export function readSession(storage: Storage = localStorage): StoredSession | null {
  try {
    const session = JSON.parse(storage.getItem(KEY) ?? 'null') as StoredSession | null;
    return session && typeof session.token === 'string' ? session : null;
  } catch {
    return null;
  }
}

export function writeSession(session: StoredSession | null, storage: Storage = localStorage): void {
  if (session) storage.setItem(KEY, JSON.stringify(session));
  else storage.removeItem(KEY);
}

/** Calls `onChange` when another tab signs in or out. */
export function watchSession(onChange: (session: StoredSession | null) => void): () => void {
  const listener = (event: StorageEvent) => {
    if (event.key === KEY) onChange(readSession());
  };
  window.addEventListener('storage', listener);
  return () => window.removeEventListener('storage', listener);
}
