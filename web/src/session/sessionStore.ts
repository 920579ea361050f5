// The signed-in user, outside React so that Apollo's links read the token per request;
// components follow it with useSession(). `end` is for a session the gateway refused
// (expired or revoked token): the app then asks to log in again.
import { readSession, watchSession, writeSession, type StoredSession } from './tokenStore';

export interface SessionState {
  session: StoredSession | null;
  /** The last session ended because the gateway refused its token. */
  expired: boolean;
}

export interface SessionStore {
  get(): SessionState;
  signIn(session: StoredSession): void;
  signOut(): void;
  /** The gateway answered UNAUTHENTICATED to a signed-in request. */
  end(): void;
  subscribe(listener: () => void): () => void;
}

export function createSessionStore(storage: Storage = localStorage): SessionStore {
  let state: SessionState = { session: readSession(storage), expired: false };
  const listeners = new Set<() => void>();
  const set = (next: SessionState) => {
    state = next;
    listeners.forEach((listener) => listener());
  };
  watchSession((session) => set({ session, expired: false }));
  return {
    get: () => state,
    signIn(session) {
      writeSession(session, storage);
      set({ session, expired: false });
    },
    signOut() {
      writeSession(null, storage);
      set({ session: null, expired: false });
    },
    end() {
      if (!state.session) return;
      writeSession(null, storage);
      set({ session: null, expired: true });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
