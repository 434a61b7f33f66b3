// The conversation kept in the browser (localStorage or sessionStorage) so that a page reload
// shows the history and continues the same Rasa session. Falls back to memory if storage fails.
const MAX_MESSAGES = 200;

/** localStorage or sessionStorage, or an in-memory stand-in where storage is blocked. */
export function pickStorage(kind) {
  try {
    const storage = kind === "session" ? window.sessionStorage : window.localStorage;
    const probe = "salesCoach:probe";
    storage.setItem(probe, "1");
    storage.removeItem(probe);
    return storage;
  } catch {
    const memory = new Map();
    return {
      getItem: (key) => (memory.has(key) ? memory.get(key) : null),
      setItem: (key, value) => memory.set(key, String(value)),
      removeItem: (key) => memory.delete(key),
    };
  }
}

export class ConversationStore {
  constructor({ kind = "local", key }) {
    this.storage = pickStorage(kind);
    this.key = key;
  }

  /** Returns {sessionId, messages}; a missing or unreadable entry gives an empty conversation. */
  load() {
    try {
      const state = JSON.parse(this.storage.getItem(this.key) ?? "null");
      if (state && Array.isArray(state.messages)) {
        return { sessionId: state.sessionId ?? null, messages: state.messages };
      }
    } catch {
      // ignore a corrupt entry: start afresh
    }
    return { sessionId: null, messages: [] };
  }

  save({ sessionId, messages }) {
    const state = { sessionId, messages: messages.slice(-MAX_MESSAGES) };
    try {
      this.storage.setItem(this.key, JSON.stringify(state));
    } catch {
      // storage full or disabled: the conversation still works, it just won't survive a reload
    }
  }
}
