// Connection: Rasa's socketio channel; the REST channel when the socket can't connect. The server
// issues the session: `session_request` carries the session id and token kept from before (or
// nothing, for a new one), `session_confirm` answers {session_id, token}, possibly a new session
// (`onSession`); REST carries the token, so it continues the same conversation. A widget whose
// socket never connected (socket.io blocked on its network) first gets its session from the web
// server over plain HTTP (`sessionUrl`, the same answer as `session_confirm`), so its conversation
// is a session's too and can be deleted; the socket resumes that session if it connects later.
// Every message has an id; each attempt to send it ends in `onSent(id)` or `onFailed(id)`. A
// failed message is sent again once by itself when the socket (re)connects (and whenever `send`
// is called for it again: the Retry button); it is never in flight twice.

export const SOCKET_WAIT_MS = 6000; // a message waits this long for the socket, then goes over REST

export class Connection {
  /**
   * rasaUrl: URL of the assistant; sessionId, token: the session to resume (token null: none
   * issued yet); events: { onBot(raw), onReplyDone(), onSent(id), onFailed(id), onState(state),
   * onSession({ sessionId, token }) }; io: socket.io-client's `io`; fetch: for the REST channel
   * and the session call; sessionUrl: where a session is had over HTTP (null: REST without one).
   */
  constructor({
    rasaUrl, sessionId, token = null, events, io, fetch = (...args) => globalThis.fetch(...args),
    waitMs = SOCKET_WAIT_MS, sessionUrl = null,
  }) {
    const base = rasaUrl.pathname.replace(/\/+$/, "");
    this.webhook = `${rasaUrl.origin}${base}/webhooks/rest/webhook`;
    this.sessionUrl = sessionUrl;
    this.epoch = 0; // counts restarts: a reply to a message of an earlier session is dropped
    this.sessionId = sessionId;
    this.token = token;
    this.events = events;
    this.fetch = fetch;
    this.waitMs = waitMs;
    this.ready = false; // socket connected and session confirmed
    this.useRest = false; // socket failed to connect: send over REST until it is back
    this.queue = []; // messages waiting for the socket
    this.inFlight = new Set(); // ids queued or posted, not yet sent or failed
    this.failed = new Map(); // id -> { message, resent }: `resent` once the reconnect re-sent it
    this.waitTimer = null;
    this.restChain = Promise.resolve();
    this.closed = false;
    this.socket = io(rasaUrl.origin, {
      path: `${base}/socket.io`,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      timeout: 10000,
      withCredentials: false,
    });
    this.socket.on("connect", () => {
      this.socket.emit("session_request", this.token ? { session_id: this.sessionId, token: this.token } : {});
    });
    this.socket.on("session_confirm", (session) => {
      if (!this.adopt(session)) return;
      this.ready = true;
      this.useRest = false;
      this.events.onState("online");
      this.flush();
      for (const [id, entry] of this.failed) {
        if (entry.resent) continue;
        entry.resent = true;
        this.send(id, entry.message);
      }
    });
    this.socket.on("bot_uttered", (raw) => this.events.onBot(raw));
    this.socket.on("connect_error", () => {
      this.ready = false;
      this.useRest = true;
      this.events.onState("rest");
      this.flush();
    });
    this.socket.on("disconnect", (reason) => {
      this.ready = false;
      if (this.closed || reason === "io client disconnect") return; // we closed it on purpose
      this.events.onState("reconnecting");
      if (reason === "io server disconnect") this.socket.connect();
    });
  }

  /** Sends `message` (a text or a button payload) under `id`, unless it is already on its way. */
  send(id, message) {
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    this.dispatch(id, message);
  }

  dispatch(id, message) {
    if (this.ready) {
      this.socket.emit("user_uttered", { message, session_id: this.sessionId });
      this.sent(id);
    } else if (this.useRest) {
      this.post(id, message);
    } else {
      this.queue.push([id, message]);
      if (!this.waitTimer) {
        this.waitTimer = globalThis.setTimeout(() => {
          this.waitTimer = null;
          this.useRest = true;
          this.flush();
        }, this.waitMs);
      }
    }
  }

  flush() {
    globalThis.clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.queue.splice(0).forEach(([id, message]) => this.dispatch(id, message));
  }

  sent(id) {
    this.inFlight.delete(id);
    this.failed.delete(id);
    this.events.onSent(id);
  }

  /** Takes the session the server issued ({session_id, token}); false when it is not one. */
  adopt(session) {
    const { session_id: sessionId, token } = session || {};
    if (typeof sessionId !== "string" || typeof token !== "string") return false;
    if (sessionId !== this.sessionId || token !== this.token) {
      this.sessionId = sessionId;
      this.token = token;
      this.events.onSession({ sessionId, token });
    }
    return true;
  }

  /** A session from the web server when there is none yet; if it can't be had, REST goes on
   * without one (a REST conversation of the local id) and the next message asks again. */
  async ensureSession(epoch) {
    if (this.token || !this.sessionUrl) return;
    try {
      const response = await this.fetch(this.sessionUrl, {
        method: "POST",
        headers: { "Content-Type": "text/plain" }, // a simple request: no CORS preflight
        body: "{}",
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
      const session = response.ok ? await response.json() : null;
      // unless the socket confirmed one meanwhile, or the conversation was deleted
      if (!this.token && epoch === this.epoch) this.adopt(session);
    } catch {
      // the message still goes, without a token
    }
  }

  post(id, message) {
    const { epoch } = this;
    this.restChain = this.restChain.then(async () => {
      await this.ensureSession(epoch);
      if (this.closed || epoch !== this.epoch) return;
      const sender = this.sessionId;
      // with the token, REST continues the session's conversation; without one the server keeps
      // a REST conversation of this local id
      const body = this.token ? { sender, message, token: this.token } : { sender, message };
      let messages;
      try {
        const response = await this.fetch(this.webhook, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
          credentials: "omit",
          cache: "no-store",
          referrerPolicy: "no-referrer",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        messages = await response.json();
      } catch {
        if (this.closed || epoch !== this.epoch) return;
        this.inFlight.delete(id);
        const entry = this.failed.get(id);
        this.failed.set(id, { message, resent: entry ? entry.resent : false });
        this.events.onFailed(id);
        return;
      }
      if (this.closed || epoch !== this.epoch) return;
      this.sent(id);
      (Array.isArray(messages) ? messages : []).forEach((raw) => this.events.onBot(raw));
      this.events.onReplyDone();
    });
  }

  /** Starts over with a new session (`sessionId` local until the server issues one); the socket
   * rejoins so old replies can't arrive. */
  restart(sessionId) {
    this.epoch += 1;
    this.sessionId = sessionId;
    this.token = null;
    this.queue = [];
    this.inFlight.clear();
    this.failed.clear();
    this.ready = false;
    if (this.socket.connected) {
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  close() {
    this.closed = true;
    this.queue = [];
    globalThis.clearTimeout(this.waitTimer);
    this.socket.disconnect();
  }
}
