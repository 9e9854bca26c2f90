/**
 * Helpline web chat widget: a bilingual (sq/en) chat with the Rasa assistant, safe by design.
 *
 * Embed with ONE tag (the build bundles socket.io-client into widget.js):
 *   <script src="https://your-host/widget/widget.js" defer></script>
 * Optional attributes on that tag: data-rasa-url (the assistant's public URL; without it the
 * widget reads config.json next to widget.js), data-exit-url (the neutral page of the quick
 * exit), data-lang ("sq" or "en"), data-open="true" (start with the chat open).
 *
 * Safety rules kept here: the conversation lives in sessionStorage only (never localStorage or
 * cookies); every text is put in the page with textContent, never innerHTML; message content
 * never goes into a URL or the console; the quick exit (button, Shift+Esc, or Esc twice) clears
 * the widget's storage and replaces the page, so Back does not return to it.
 */
import { io } from "socket.io-client";

const STORAGE_PREFIX = "hlw.";
const KEY = {
  session: `${STORAGE_PREFIX}session`,
  log: `${STORAGE_PREFIX}log`,
  lang: `${STORAGE_PREFIX}lang`,
  open: `${STORAGE_PREFIX}open`,
};
const LANGUAGES = ["sq", "en"];
const LANGUAGE_NAMES = { sq: "Shqip", en: "English" };
const DEFAULT_EXIT_URL = "https://www.google.com/";
const MAX_MESSAGE_LENGTH = 1000;
const MAX_LOG_ENTRIES = 200;
const SOCKET_WAIT_MS = 6000; // a message waits this long for the socket, then goes over REST
const TYPING_IDLE_MS = 1500; // the typing indicator hides this long after the last bot message
const TYPING_MAX_MS = 30000;
const DOUBLE_ESCAPE_MS = 1000;
const SWITCH_LANGUAGE = /^\/switch_language\{"language":"(sq|en)"\}$/;
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]}»“”]+$/;
// A phone number as the assistant marks it (bot/phones.py): [116 006](tel:116006)
const TEL = /\[([^\]\n]{1,40})\]\(tel:(\+?[0-9]{2,20})\)/g;

const STRINGS = {
  sq: {
    launcher: "Bisedo me asistentin",
    title: "Asistenti për migracionin e sigurt",
    close: "Mbyll bisedën",
    quickExit: "Dil shpejt",
    quickExitHint: "Dil shpejt: Shift+Esc ose Esc dy herë",
    language: "Gjuha",
    conversation: "Biseda",
    inputLabel: "Mesazhi juaj",
    placeholder: "Shkruani mesazhin…",
    send: "Dërgo",
    replies: "Përgjigje të shpejta",
    you: "Ju",
    assistant: "Asistenti",
    typing: "Asistenti po shkruan…",
    image: "Imazh nga asistenti",
    newWindow: "(hapet në dritare të re)",
    connecting: "Po lidhet…",
    reconnecting: "Lidhja ra. Po lidhet përsëri…",
    sendFailed: "Mesazhi nuk u dërgua. Provoni përsëri pas pak, ose telefononi 116 006. Në rrezik: 112.",
    tooLong: `Mesazhi është shumë i gjatë (më së shumti ${MAX_MESSAGE_LENGTH} shenja).`,
    deleteConversation: "Fshi bisedën time",
    deleteQuestion: "Të fshihen të gjitha mesazhet nga kjo skedë?",
    deleteYes: "Po, fshiji",
    deleteNo: "Anulo",
    deleted: "Biseda u fshi nga kjo skedë. Mund të filloni një bisedë të re.",
    privacyTitle: "Privatësia juaj",
    privacy: [
      "Mesazhet ruhen vetëm në këtë skedë të shfletuesit dhe vetëm derisa ta mbyllni.",
      "Serveri i asistentit e ruan bisedën që t'ju përgjigjet; sa kohë ruhet e vendos operatori i shërbimit.",
      "Mos shkruani numra ID-je, pasaporte apo llogarie bankare.",
      "“Dil shpejt” (ose Shift+Esc, ose Esc dy herë) e mbyll menjëherë këtë faqe.",
    ],
  },
  en: {
    launcher: "Chat with the assistant",
    title: "Safe migration assistant",
    close: "Close the chat",
    quickExit: "Quick exit",
    quickExitHint: "Quick exit: Shift+Esc or Esc twice",
    language: "Language",
    conversation: "Conversation",
    inputLabel: "Your message",
    placeholder: "Type your message…",
    send: "Send",
    replies: "Quick replies",
    you: "You",
    assistant: "Assistant",
    typing: "The assistant is typing…",
    image: "Image from the assistant",
    newWindow: "(opens in a new window)",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting…",
    sendFailed: "The message was not sent. Please try again shortly, or call 116 006. In danger: 112.",
    tooLong: `The message is too long (at most ${MAX_MESSAGE_LENGTH} characters).`,
    deleteConversation: "Delete my conversation",
    deleteQuestion: "Delete all messages from this tab?",
    deleteYes: "Yes, delete",
    deleteNo: "Cancel",
    deleted: "The conversation was deleted from this tab. You can start a new one.",
    privacyTitle: "Your privacy",
    privacy: [
      "Your messages are kept only in this browser tab, and only until you close it.",
      "The assistant's server keeps the conversation so it can answer you; the service operator decides how long.",
      "Please do not write ID, passport or bank account numbers.",
      "“Quick exit” (or Shift+Esc, or Esc twice) leaves this page at once.",
    ],
  },
};

// The <script> tag that loaded us: read now, it is only set while this file first runs.
const SCRIPT = document.currentScript;

// ---------------------------------------------------------------------------------------------
// Storage: sessionStorage only, every key prefixed, every access guarded (it can be disabled).

const storage = {
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

function newSessionId() {
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function httpUrl(value, base) {
  if (typeof value !== "string" || !value.trim()) return null;
  try {
    const url = new URL(value.trim(), base);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

function pickLanguage(...candidates) {
  for (const candidate of candidates) {
    const code = String(candidate || "").slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(code)) return code;
  }
  return "sq";
}

// ---------------------------------------------------------------------------------------------
// DOM helpers: text always goes in through textContent / text nodes.

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) el.append(child); // strings become text nodes
  }
  return el;
}

/** Text with its http(s) and www. addresses as safe links, built from text nodes. */
function linkify(text, newWindowLabel) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    let address = match[0];
    const trailing = address.match(TRAILING_PUNCTUATION);
    if (trailing) address = address.slice(0, -trailing[0].length);
    const url = httpUrl(address.startsWith("www.") ? `https://${address}` : address);
    if (!url || !address) continue;
    fragment.append(text.slice(last, match.index));
    fragment.append(h("a", {
      href: url.href, target: "_blank", rel: "noopener noreferrer", referrerpolicy: "no-referrer",
    }, address, h("span", { class: "hlw-sr hlw-new-window", text: ` ${newWindowLabel}` })));
    last = match.index + address.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

/** Text with its marked phone numbers as tap-to-call links and its addresses as links. */
function richText(text, newWindowLabel) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(TEL)) {
    fragment.append(linkify(text.slice(last, match.index), newWindowLabel));
    fragment.append(h("a", { href: `tel:${match[2]}`, class: "hlw-tel" }, match[1]));
    last = match.index + match[0].length;
  }
  fragment.append(linkify(text.slice(last), newWindowLabel));
  return fragment;
}

/** One log entry from what Rasa sent (socketio or REST shape), or null if nothing to show. */
function botEntry(raw) {
  if (!raw || typeof raw !== "object") return null;
  const entry = { from: "bot", text: typeof raw.text === "string" ? raw.text : "" };
  const buttons = raw.quick_replies || raw.buttons;
  if (Array.isArray(buttons)) {
    entry.buttons = buttons
      .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
      .map((b) => ({ title: b.title, payload: b.payload }));
  }
  const attachment = raw.attachment;
  const image = raw.image
    || (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src);
  const imageUrl = httpUrl(image);
  if (imageUrl) entry.image = imageUrl.href;
  if (!entry.text && !entry.image && !(entry.buttons && entry.buttons.length)) return null;
  return entry;
}

/** A stored entry checked again (sessionStorage is writable by anything on the page). */
function checkedEntry(raw) {
  if (!raw || typeof raw !== "object" || typeof raw.text !== "string") return null;
  if (raw.from === "user") return { from: "user", text: raw.text };
  if (raw.from === "bot") return botEntry(raw);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Connection: Rasa's socketio channel as shipped; the REST channel when the socket can't connect.

class Connection {
  constructor(rasaUrl, sessionId, events) {
    const base = rasaUrl.pathname.replace(/\/+$/, "");
    this.webhook = `${rasaUrl.origin}${base}/webhooks/rest/webhook`;
    this.sessionId = sessionId;
    this.events = events; // { onBot(raw), onReplyDone(), onFailed(), onState(state) }
    this.ready = false; // socket connected and session confirmed
    this.useRest = false; // socket failed to connect: send over REST until it is back
    this.queue = [];
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
      this.socket.emit("session_request", { session_id: this.sessionId });
    });
    this.socket.on("session_confirm", (sessionId) => {
      if (sessionId !== this.sessionId) return;
      this.ready = true;
      this.useRest = false;
      this.events.onState("online");
      this.flush();
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

  send(message) {
    if (this.ready) {
      this.socket.emit("user_uttered", { message, session_id: this.sessionId });
    } else if (this.useRest) {
      this.post(message);
    } else {
      this.queue.push(message);
      if (!this.waitTimer) {
        this.waitTimer = window.setTimeout(() => {
          this.waitTimer = null;
          this.useRest = true;
          this.flush();
        }, SOCKET_WAIT_MS);
      }
    }
  }

  flush() {
    window.clearTimeout(this.waitTimer);
    this.waitTimer = null;
    this.queue.splice(0).forEach((message) => this.send(message));
  }

  post(message) {
    const sender = this.sessionId;
    this.restChain = this.restChain.then(async () => {
      try {
        const response = await fetch(this.webhook, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ sender, message }),
          credentials: "omit",
          cache: "no-store",
          referrerPolicy: "no-referrer",
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const messages = await response.json();
        if (this.closed || sender !== this.sessionId) return;
        (Array.isArray(messages) ? messages : []).forEach((raw) => this.events.onBot(raw));
        this.events.onReplyDone();
      } catch {
        if (!this.closed && sender === this.sessionId) this.events.onFailed();
      }
    });
  }

  /** Starts over with a new session id; the socket rejoins so old replies can't arrive. */
  restart(sessionId) {
    this.sessionId = sessionId;
    this.queue = [];
    this.ready = false;
    if (this.socket.connected) {
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  close() {
    this.closed = true;
    this.queue = [];
    window.clearTimeout(this.waitTimer);
    this.socket.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// The widget

class Widget {
  constructor(options) {
    this.options = options;
    this.lang = pickLanguage(storage.get(KEY.lang), options.lang);
    this.sessionId = storage.get(KEY.session) || newSessionId();
    storage.set(KEY.session, this.sessionId);
    this.entries = this.loadEntries();
    this.bindings = []; // [element, key, attribute] of the frame, re-labelled on a switch
    this.connection = null;
    this.typingTimer = null;
    this.typingLimit = null;
  }

  t(key) {
    return STRINGS[this.lang][key];
  }

  label(el, key, attribute = null) {
    this.bindings.push([el, key, attribute]);
    this.applyLabel(el, key, attribute);
    return el;
  }

  applyLabel(el, key, attribute) {
    if (attribute) el.setAttribute(attribute, this.t(key));
    else el.textContent = this.t(key);
  }

  loadEntries() {
    try {
      const stored = JSON.parse(storage.get(KEY.log) || "[]");
      return Array.isArray(stored) ? stored.map(checkedEntry).filter(Boolean) : [];
    } catch {
      return [];
    }
  }

  saveEntries() {
    this.entries = this.entries.slice(-MAX_LOG_ENTRIES);
    storage.set(KEY.log, JSON.stringify(this.entries));
  }

  // -- building the DOM -------------------------------------------------------------------------

  mount() {
    this.host = h("div", { class: "helpline-widget", "data-helpline-widget": "" });
    const shadow = this.host.attachShadow({ mode: "open" });
    this.frame = h("div", { class: "hlw-frame", hidden: true });
    const stylesheet = h("link", { rel: "stylesheet", href: this.options.stylesheet });
    const show = () => { this.frame.hidden = false; };
    stylesheet.addEventListener("load", show);
    stylesheet.addEventListener("error", show);

    this.exitButton = this.label(h("button", {
      type: "button", class: "hlw-exit", onclick: () => quickExit(),
    }), "quickExit");
    this.label(this.exitButton, "quickExitHint", "title");
    this.launcher = h("button", {
      type: "button", class: "hlw-launcher", "aria-expanded": "false",
      "aria-controls": "hlw-panel", onclick: () => this.open(),
    });
    this.label(this.launcher, "launcher");
    this.dock = h("div", { class: "hlw-dock" }, this.exitButton, this.launcher);

    this.panel = this.buildPanel();
    this.frame.append(this.dock, this.panel);
    shadow.append(stylesheet, this.frame);

    this.entries.forEach((entry) => this.log.append(this.renderEntry(entry)));
    this.setLanguage(this.lang, { send: false });
    if (storage.get(KEY.open) === "1" || this.options.open) this.open({ focus: false });
    else this.close({ focus: false });
    document.body.append(this.host);
    this.followVisualViewport();
    this.connect();
  }

  buildPanel() {
    this.heading = this.label(h("h2", { class: "hlw-title", id: "hlw-title", tabindex: "-1" }), "title");
    const closeButton = h("button", {
      type: "button", class: "hlw-close", onclick: () => this.close(),
    }, h("span", { "aria-hidden": "true", text: "×" }),
    this.label(h("span", { class: "hlw-sr" }), "close"));
    this.label(closeButton, "close", "title");

    this.languageButtons = LANGUAGES.map((code) => h("button", {
      type: "button", class: "hlw-lang", lang: code, "data-lang": code,
      onclick: () => this.chooseLanguage(code),
    }, LANGUAGE_NAMES[code]));
    const languages = this.label(h("div", { class: "hlw-langs", role: "group" },
      ...this.languageButtons), "language", "aria-label");
    const panelExit = this.label(h("button", {
      type: "button", class: "hlw-exit hlw-exit-panel", onclick: () => quickExit(),
    }), "quickExit");
    this.label(panelExit, "quickExitHint", "title");

    const header = h("div", { class: "hlw-header" },
      h("div", { class: "hlw-header-row" }, this.heading, closeButton),
      h("div", { class: "hlw-header-row" }, languages, panelExit));

    this.notice = this.buildNotice();
    this.log = h("div", { class: "hlw-messages" });
    this.typing = h("div", { class: "hlw-typing", hidden: true },
      h("span", { class: "hlw-dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")),
      this.label(h("span", { class: "hlw-typing-label" }), "typing"));
    this.status = h("div", { class: "hlw-status", role: "status" });
    // The live region: new messages (and the typing indicator) are announced to screen readers.
    this.scroller = h("div", {
      class: "hlw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      tabindex: "0",
    }, this.notice, this.log, this.typing);
    this.label(this.scroller, "conversation", "aria-label");

    this.input = h("input", {
      type: "text", id: "hlw-input", class: "hlw-input", autocomplete: "off",
      autocapitalize: "sentences", enterkeyhint: "send", maxlength: String(MAX_MESSAGE_LENGTH),
    });
    this.label(this.input, "placeholder", "placeholder");
    const inputLabel = this.label(h("label", { for: "hlw-input", class: "hlw-sr" }), "inputLabel");
    const sendButton = this.label(h("button", { type: "submit", class: "hlw-send" }), "send");
    this.form = h("form", {
      class: "hlw-form", autocomplete: "off", novalidate: true,
      onsubmit: (event) => { event.preventDefault(); this.submit(); },
    }, inputLabel, this.input, sendButton);

    this.deleteButton = this.label(h("button", {
      type: "button", class: "hlw-link", onclick: () => this.askDelete(),
    }), "deleteConversation");
    const shortcut = this.label(h("span", { class: "hlw-hint" }), "quickExitHint");
    this.deleteYes = this.label(h("button", {
      type: "button", class: "hlw-danger", onclick: () => this.deleteConversation(),
    }), "deleteYes");
    const deleteNo = this.label(h("button", {
      type: "button", class: "hlw-secondary", onclick: () => this.cancelDelete(),
    }), "deleteNo");
    const question = this.label(h("p", { id: "hlw-delete-q" }), "deleteQuestion");
    this.confirm = h("div", {
      class: "hlw-confirm", role: "group", "aria-labelledby": "hlw-delete-q", hidden: true,
    }, question, h("div", { class: "hlw-confirm-buttons" }, this.deleteYes, deleteNo));
    const footer = h("div", { class: "hlw-footer" }, this.confirm, this.status, this.form,
      h("div", { class: "hlw-footer-row" }, this.deleteButton, shortcut));

    const panel = h("section", {
      class: "hlw-panel", id: "hlw-panel", "aria-labelledby": "hlw-title",
    }, header, this.scroller, footer);
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !event.shiftKey && !this.confirm.hidden) this.cancelDelete();
    });
    return panel;
  }

  buildNotice() {
    this.noticeParts = {};
    const parts = LANGUAGES.map((code) => {
      const strings = STRINGS[code];
      const part = h("div", { class: "hlw-notice-part", lang: code },
        h("h3", { text: strings.privacyTitle }),
        h("ul", {}, ...strings.privacy.map((line) => h("li", { text: line }))));
      this.noticeParts[code] = part;
      return part;
    });
    return h("section", { class: "hlw-notice", "aria-label": "Privatësia · Privacy" }, ...parts);
  }

  renderEntry(entry) {
    const who = entry.from === "user" ? "you" : "assistant";
    const bubble = h("div", { class: "hlw-bubble" },
      h("span", { class: "hlw-sr hlw-who", "data-who": who, text: `${this.t(who)}: ` }));
    if (entry.text) bubble.append(h("span", { class: "hlw-text" }, richText(entry.text, this.t("newWindow"))));
    if (entry.image) {
      bubble.append(h("img", {
        class: "hlw-image", src: entry.image, alt: this.t("image"), loading: "lazy",
        decoding: "async", referrerpolicy: "no-referrer",
      }));
    }
    const item = h("div", { class: `hlw-msg hlw-${entry.from}` }, bubble);
    if (entry.buttons && entry.buttons.length) {
      const group = h("div", { class: "hlw-replies", role: "group", "aria-label": this.t("replies") });
      entry.buttons.forEach((button) => group.append(h("button", {
        type: "button", class: "hlw-reply",
        onclick: () => this.sendPayload(button.title, button.payload),
      }, button.title)));
      item.append(group);
    }
    return item;
  }

  // -- behaviour --------------------------------------------------------------------------------

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.dock.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    storage.set(KEY.open, "1");
    this.scrollToEnd();
    if (!focus) return;
    // On touch screens focusing the input would open the keyboard over the privacy notice.
    if (window.matchMedia("(pointer: coarse)").matches) this.heading.focus();
    else this.input.focus();
  }

  close({ focus = true } = {}) {
    this.panel.hidden = true;
    this.dock.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    storage.set(KEY.open, "0");
    if (focus) this.launcher.focus();
  }

  setLanguage(code, { send = true } = {}) {
    const changed = code !== this.lang;
    this.lang = code;
    storage.set(KEY.lang, code);
    this.panel.lang = code;
    this.dock.lang = code;
    this.bindings.forEach(([el, key, attribute]) => this.applyLabel(el, key, attribute));
    // the messages' hidden labels (the messages themselves stay as they were said)
    this.log.querySelectorAll(".hlw-who").forEach((el) => {
      el.textContent = `${this.t(el.dataset.who)}: `;
    });
    this.log.querySelectorAll(".hlw-new-window").forEach((el) => {
      el.textContent = ` ${this.t("newWindow")}`;
    });
    this.log.querySelectorAll(".hlw-replies").forEach((el) => {
      el.setAttribute("aria-label", this.t("replies"));
    });
    this.log.querySelectorAll(".hlw-image").forEach((el) => el.setAttribute("alt", this.t("image")));
    this.languageButtons.forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.lang === code));
    });
    this.notice.prepend(this.noticeParts[code]); // the chosen language first
    if (send && changed) this.deliver(`/switch_language{"language":"${code}"}`);
  }

  chooseLanguage(code) {
    if (code === this.lang) return;
    this.sendPayload(LANGUAGE_NAMES[code], `/switch_language{"language":"${code}"}`);
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > MAX_MESSAGE_LENGTH) {
      this.showStatus(this.t("tooLong"));
      return;
    }
    this.input.value = "";
    this.append({ from: "user", text });
    this.deliver(text);
  }

  /** A button: shows its title, sends its payload (a language switch also relabels the UI). */
  sendPayload(title, payload) {
    this.append({ from: "user", text: title });
    const language = payload.match(SWITCH_LANGUAGE);
    if (language) this.setLanguage(language[1], { send: false });
    this.deliver(payload);
  }

  deliver(message) {
    this.showTyping();
    this.connection.send(message);
  }

  append(entry) {
    this.entries.push(entry);
    this.saveEntries();
    this.log.append(this.renderEntry(entry));
    this.scrollToEnd();
  }

  receive(raw) {
    const entry = botEntry(raw);
    if (entry) this.append(entry);
    // Rasa's socket sends each message separately with no end marker: wait a little for more.
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.hideTyping(), TYPING_IDLE_MS);
  }

  showTyping() {
    this.typing.hidden = false;
    this.scrollToEnd();
    window.clearTimeout(this.typingLimit);
    this.typingLimit = window.setTimeout(() => this.hideTyping(), TYPING_MAX_MS);
  }

  hideTyping() {
    window.clearTimeout(this.typingTimer);
    window.clearTimeout(this.typingLimit);
    this.typing.hidden = true;
  }

  showStatus(text) {
    this.status.textContent = text;
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  askDelete() {
    this.confirm.hidden = false;
    this.deleteYes.focus();
  }

  cancelDelete() {
    this.confirm.hidden = true;
    this.deleteButton.focus();
  }

  /** Clears this tab's copy, asks the server to delete its copy, and starts a new session id. */
  deleteConversation() {
    fetch(this.options.forgetUrl, {
      method: "POST", body: JSON.stringify({ session_id: this.sessionId }),
      headers: { "Content-Type": "text/plain" }, credentials: "omit", keepalive: true,
      referrerPolicy: "no-referrer",
    }).catch(() => { /* the server's retention purge removes it in any case */ });
    storage.clearWidget();
    this.entries = [];
    this.log.replaceChildren();
    this.hideTyping();
    this.sessionId = newSessionId();
    storage.set(KEY.session, this.sessionId);
    storage.set(KEY.lang, this.lang);
    storage.set(KEY.open, "1");
    this.connection.restart(this.sessionId);
    this.confirm.hidden = true;
    this.showStatus(this.t("deleted"));
    this.input.focus();
  }

  connect() {
    this.showStatus(this.t("connecting"));
    this.connection = new Connection(this.options.rasaUrl, this.sessionId, {
      onBot: (raw) => this.receive(raw),
      onReplyDone: () => this.hideTyping(),
      onFailed: () => {
        this.hideTyping();
        this.showStatus(this.t("sendFailed"));
      },
      onState: (state) => {
        if (state === "reconnecting") this.showStatus(this.t("reconnecting"));
        else if (this.status.textContent === this.t("connecting")
          || this.status.textContent === this.t("reconnecting")) this.showStatus("");
      },
    });
  }

  /** Keeps the open panel above the on-screen keyboard on phones. */
  followVisualViewport() {
    const viewport = window.visualViewport;
    if (!viewport) return;
    const update = () => {
      this.panel.style.setProperty("--hlw-viewport-height", `${Math.round(viewport.height)}px`);
      this.panel.style.setProperty("--hlw-viewport-top", `${Math.round(viewport.offsetTop)}px`);
    };
    viewport.addEventListener("resize", update);
    viewport.addEventListener("scroll", update);
    update();
  }

  destroy() {
    if (this.connection) this.connection.close();
    if (this.host) this.host.remove();
  }
}

// ---------------------------------------------------------------------------------------------
// Quick exit: works from the first moment, even before the widget is built.

let widget = null;
let exitUrl = DEFAULT_EXIT_URL;
let lastEscape = 0;

function quickExit() {
  try {
    if (widget) widget.destroy(); // first: no reply may arrive and be stored afterwards
    document.documentElement.style.visibility = "hidden";
  } finally {
    storage.clearWidget();
    window.location.replace(exitUrl);
  }
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.isComposing) return;
  const now = Date.now();
  if (event.shiftKey || now - lastEscape < DOUBLE_ESCAPE_MS) {
    event.preventDefault();
    quickExit();
    return;
  }
  lastEscape = now;
}, true);

async function readConfig() {
  const data = (SCRIPT && SCRIPT.dataset) || {};
  const scriptUrl = httpUrl(SCRIPT && SCRIPT.src) || new URL(window.location.href);
  let remote = {};
  if (!data.rasaUrl) {
    try {
      const response = await fetch(new URL("config.json", scriptUrl), {
        credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      });
      if (response.ok) remote = await response.json();
    } catch {
      // no config.json: the assistant is then expected at the widget's own origin
    }
  }
  return {
    rasaUrl: httpUrl(data.rasaUrl || remote.rasaUrl) || new URL(scriptUrl.origin),
    exitUrl: (httpUrl(data.exitUrl || remote.exitUrl) || new URL(DEFAULT_EXIT_URL)).href,
    lang: pickLanguage(data.lang, remote.lang, document.documentElement.lang),
    open: data.open === "true",
    stylesheet: new URL("widget.css", scriptUrl).href,
    forgetUrl: new URL("forget", scriptUrl).href,
  };
}

async function start() {
  const options = await readConfig();
  exitUrl = options.exitUrl;
  widget = new Widget(options);
  widget.mount();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => { start(); }, { once: true });
} else {
  start();
}
