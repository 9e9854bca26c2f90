// Storage: sessionStorage only (never localStorage or cookies), every key prefixed, every access
// guarded (it can be disabled), and the check that no other tab holds this tab's session id.

export const STORAGE_PREFIX = "hlw.";
export const KEY = {
  session: `${STORAGE_PREFIX}session`,
  // the token the server issued with the session id: without it the session cannot be resumed
  token: `${STORAGE_PREFIX}token`,
  log: `${STORAGE_PREFIX}log`,
  lang: `${STORAGE_PREFIX}lang`,
  open: `${STORAGE_PREFIX}open`,
  // the session whose server-side language the widget set (after a delete, or a topic button)
  langSet: `${STORAGE_PREFIX}langset`,
};
const TAB_CHANNEL = "hlw.tabs";
const TAB_ANSWER_MS = 300; // an open tab answers at once; this long is plenty

export const storage = {
  get(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      window.sessionStorage.setItem(key, value);
    } catch {
      // full or disabled: the conversation then lives in the page only
    }
  },
  clearWidget() {
    try {
      const keys = [];
      for (let i = 0; i < window.sessionStorage.length; i += 1) {
        const key = window.sessionStorage.key(i);
        if (key && key.startsWith(STORAGE_PREFIX)) keys.push(key);
      }
      keys.forEach((key) => window.sessionStorage.removeItem(key));
    } catch {
      // nothing stored, nothing to clear
    }
  },
};

/** A local id, used over REST until the server issues a session (the socket never connected). */
export function newSessionId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Browsers copy sessionStorage into a tab opened from this one ("open in new tab", "duplicate"),
 * so two tabs would share one conversation. Each tab answers for its session id on a
 * BroadcastChannel (same origin only, nothing stored): `sessionTaken(id)` asks whether another
 * open tab holds `id`; `answerForSession(currentId)` makes this tab answer from then on.
 */
export function sessionTaken(id) {
  if (typeof BroadcastChannel !== "function") return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = new BroadcastChannel(TAB_CHANNEL);
    const done = (answer) => {
      window.clearTimeout(timer);
      probe.close();
      resolve(answer);
    };
    const timer = window.setTimeout(() => done(false), TAB_ANSWER_MS);
    probe.addEventListener("message", (event) => {
      const data = event.data || {};
      if (data.type === "mine" && data.id === id) done(true);
    });
    probe.postMessage({ type: "who", id });
  });
}

export function answerForSession(currentId) {
  if (typeof BroadcastChannel !== "function") return null;
  const channel = new BroadcastChannel(TAB_CHANNEL);
  channel.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type === "who" && data.id === currentId()) channel.postMessage({ type: "mine", id: data.id });
  });
  return channel;
}
