// The widget on the page: its DOM (in a shadow root), the conversation log, and what each control
// does. Talking to the assistant is connection.js's job; keeping things, storage.js's.
import { io } from "socket.io-client";
import { Connection } from "./connection.js";
import { h, httpUrl, phoneNumber, richText, telLink } from "./dom.js";
import { answerForSession, KEY, newSessionId, sessionTaken, storage } from "./storage.js";
import {
  DANGER, GREETING, LANGUAGE_NAMES, LANGUAGES, MAX_MESSAGE_LENGTH, STRINGS, languageOf,
} from "./strings.js";

const MAX_LOG_ENTRIES = 200;
const TYPING_MAX_MS = 30000; // no answer after this long: stop showing the typing dots
const SWITCH_LANGUAGE = /^\/switch_language\{"language":"(sq|en)"\}$/;
// The assistant starts its emergency reply with this mark (bot/emergency_reply.py, and the
// domain's utter_emergency that the channel guard sends when the action server is down).
export const EMERGENCY_MARK = "🚨";
const AT_END_PX = 24; // this close to the bottom counts as "reading the newest message"

const switchPayload = (code) => `/switch_language{"language":"${code}"}`;
const otherLanguage = (code) => LANGUAGES.find((other) => other !== code);

function pickLanguage(...candidates) {
  for (const candidate of candidates) {
    const code = String(candidate || "").slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(code)) return code;
  }
  return "sq";
}

function buttonsOf(raw) {
  return Array.isArray(raw) ? raw
    .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
    .map((b) => ({ title: b.title, payload: b.payload })) : [];
}

/** One log entry from what Rasa sent (socketio or REST shape), or null if nothing to show. */
function botEntry(raw, fallbackLang) {
  if (!raw || typeof raw !== "object") return null;
  const text = typeof raw.text === "string" ? raw.text : "";
  const entry = { from: "bot", text, lang: pickLanguage(raw.lang, languageOf(text), fallbackLang) };
  const buttons = buttonsOf(raw.quick_replies || raw.buttons);
  if (buttons.length) entry.buttons = buttons;
  const attachment = raw.attachment;
  const image = raw.image
    || (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src);
  const imageUrl = httpUrl(image);
  if (imageUrl) entry.image = imageUrl.href;
  if (!entry.text && !entry.image && !entry.buttons) return null;
  return entry;
}

/** A stored entry checked again (sessionStorage is writable by anything on the page). */
function checkedEntry(raw, fallbackLang) {
  if (!raw || typeof raw !== "object" || typeof raw.text !== "string") return null;
  if (raw.from === "bot") return botEntry(raw, fallbackLang);
  if (raw.from !== "user" || typeof raw.id !== "string") return null;
  const entry = { from: "user", id: raw.id, text: raw.text, lang: pickLanguage(raw.lang, fallbackLang) };
  if (typeof raw.payload === "string") entry.payload = raw.payload;
  if (raw.failed === true) entry.failed = true;
  return entry;
}

export class Widget {
  constructor(options) {
    this.options = options;
    this.help = options.help
      ? { emergency: phoneNumber(options.help.emergency), helpline: phoneNumber(options.help.helpline) }
      : {};
    this.topics = (Array.isArray(options.topics) ? options.topics : []).filter((t) => t
      && typeof t.payload === "string" && LANGUAGES.every((code) => typeof t[code] === "string"));
    this.lang = pickLanguage(storage.get(KEY.lang), options.lang);
    const storedSession = storage.get(KEY.session);
    this.sessionId = storedSession || newSessionId();
    this.token = (storedSession && storage.get(KEY.token)) || null; // the server's, once it issued one
    this.copiedSession = !!storedSession; // from a reload, or copied from another tab
    storage.set(KEY.session, this.sessionId);
    this.entries = this.loadEntries();
    this.bindings = []; // [element, key, attribute] re-labelled on a language change
    this.bubbles = new Map(); // user message id -> its element, to mark it failed or sent
    this.connection = null;
    this.waiting = [];
    this.typingLimit = null;
    this.statusKey = null;
    this.atEnd = true;
    this.pinned = null; // the emergency reply kept in view while the rest of it arrives
  }

  t(key, lang = this.lang) {
    return STRINGS[lang][key];
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
      return Array.isArray(stored) ? stored.map((e) => checkedEntry(e, this.lang)).filter(Boolean) : [];
    } catch {
      return [];
    }
  }

  saveEntries() {
    this.entries = this.entries.slice(-MAX_LOG_ENTRIES);
    storage.set(KEY.log, JSON.stringify(this.entries));
  }

  // -- building the DOM -------------------------------------------------------------------------

  async mount() {
    this.host = h("div", { class: "helpline-widget", "data-helpline-widget": "" });
    const shadow = this.host.attachShadow({ mode: "open" });
    this.frame = h("div", { class: "hlw-frame", hidden: true });
    const stylesheet = h("link", { rel: "stylesheet", href: this.options.stylesheet });
    const show = () => { this.frame.hidden = false; };
    stylesheet.addEventListener("load", show);
    stylesheet.addEventListener("error", show);

    const exitButton = this.exitButton("hlw-exit");
    this.unread = this.label(h("span", { class: "hlw-unread", hidden: true }), "unread");
    this.launcher = h("button", {
      type: "button", class: "hlw-launcher", "aria-expanded": "false",
      "aria-controls": "hlw-panel", onclick: () => this.open(),
    }, this.label(h("span"), "launcher"), this.unread);
    this.dock = h("div", { class: "hlw-dock" }, exitButton, this.launcher);

    this.panel = this.buildPanel();
    this.frame.append(this.dock, this.panel);
    shadow.append(stylesheet, this.frame);

    const restored = this.entries.map((entry) => this.log.appendChild(this.renderEntry(entry)));
    document.body.append(this.host);
    this.setLanguage(this.lang);
    if (storage.get(KEY.open) === "1" || this.options.open) this.open({ focus: false });
    else this.close({ focus: false });
    this.followResizes();
    await this.ownSession(restored);
    this.connect();
  }

  /** A session id copied from another open tab is that tab's: this one starts its own, without
   * the copied messages (`restored`: their elements). */
  async ownSession(restored) {
    if (this.copiedSession && await sessionTaken(this.sessionId)) {
      this.newSession();
      storage.set(KEY.langSet, "");
      this.entries.splice(0, restored.length);
      this.saveEntries();
      restored.forEach((item) => item.remove());
      this.showStatus("otherTab");
    }
    this.tabs = answerForSession(() => this.sessionId);
  }

  /** A local id until the server issues a session (nothing to resume). */
  newSession() {
    this.sessionId = newSessionId();
    this.token = null;
    storage.set(KEY.session, this.sessionId);
    storage.set(KEY.token, "");
  }

  /** The session the server confirmed (a new one when the old token was not accepted). */
  adoptSession({ sessionId, token }) {
    if (storage.get(KEY.langSet) === this.sessionId) storage.set(KEY.langSet, sessionId);
    this.sessionId = sessionId;
    this.token = token;
    storage.set(KEY.session, sessionId);
    storage.set(KEY.token, token);
  }

  exitButton(className) {
    const button = this.label(h("button", {
      type: "button", class: className, onclick: () => this.options.quickExit(),
    }), "quickExit");
    return this.label(button, "quickExitHint", "title");
  }

  buildPanel() {
    this.heading = this.label(h("h2", { class: "hlw-title", id: "hlw-title", tabindex: "-1" }), "title");
    const closeButton = h("button", {
      type: "button", class: "hlw-close", onclick: () => this.close(),
    }, h("span", { "aria-hidden": "true", text: "×" }),
    this.label(h("span", { class: "hlw-sr" }), "close"));
    this.label(closeButton, "close", "title");
    // one button for the other language, named in that language
    this.languageButton = h("button", {
      type: "button", class: "hlw-lang", onclick: () => this.chooseLanguage(otherLanguage(this.lang)),
    });
    const header = h("div", { class: "hlw-header" },
      this.heading, this.languageButton, this.exitButton("hlw-exit hlw-exit-panel"), closeButton);

    this.privacy = this.buildPrivacy();
    this.log = h("div", { class: "hlw-messages" });
    this.typing = h("div", { class: "hlw-typing", hidden: true },
      h("span", { class: "hlw-dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")),
      this.label(h("span", { class: "hlw-typing-label" }), "typing"));
    // The live region: new messages (and the typing indicator) are announced to screen readers.
    this.scroller = h("div", {
      class: "hlw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      tabindex: "0", onscroll: () => { this.atEnd = this.isAtEnd(); },
    }, this.buildIntro(), this.log, this.typing);
    this.label(this.scroller, "conversation", "aria-label");

    const panel = h("section", {
      class: "hlw-panel", id: "hlw-panel", "aria-labelledby": "hlw-title",
    }, header, this.buildHelpBar(), this.scroller, this.privacy, this.buildFooter());
    return panel;
  }

  /** "In danger? 112 · 116 006", always in view, the numbers tap-to-call. */
  buildHelpBar() {
    const numbers = [this.help.emergency, this.help.helpline].filter(Boolean);
    if (!numbers.length) return null;
    const links = numbers.flatMap((number, i) => (i ? [" · ", telLink(number)] : [telLink(number)]));
    return h("p", { class: "hlw-help" }, h("strong", { text: `${DANGER} ` }), ...links);
  }

  /** The first screen: who is answering (both languages), the topics, privacy in two lines. */
  buildIntro() {
    const greeting = h("div", { class: "hlw-bubble" },
      ...LANGUAGES.map((code) => h("p", { lang: code, text: GREETING[code] })));
    this.topicButtons = this.topics.map((topic) => h("button", {
      type: "button", class: "hlw-reply", onclick: () => this.sendPayload(topic[this.lang], topic.payload),
    }));
    const topics = this.topicButtons.length
      ? this.label(h("div", { class: "hlw-replies", role: "group" }, ...this.topicButtons), "topics", "aria-label")
      : null;
    const more = this.label(h("button", {
      type: "button", class: "hlw-link", "aria-controls": "hlw-privacy", onclick: () => this.openPrivacy(),
    }), "more");
    const notice = h("p", { class: "hlw-notice" },
      this.label(h("strong"), "privacyTitle"), ": ", this.label(h("span"), "privacySummary"), " ", more);
    return h("div", { class: "hlw-intro" }, h("div", { class: "hlw-msg hlw-greeting" }, greeting, topics), notice);
  }

  /** The whole privacy notice, in place of the conversation until "Back". */
  buildPrivacy() {
    this.privacyHeading = this.label(h("h3", { id: "hlw-privacy-title", tabindex: "-1" }), "privacyTitle");
    this.privacyList = h("ul");
    const back = this.label(h("button", {
      type: "button", class: "hlw-secondary", onclick: () => this.closePrivacy(),
    }), "back");
    return h("section", {
      class: "hlw-privacy", id: "hlw-privacy", "aria-labelledby": "hlw-privacy-title", hidden: true,
    }, this.privacyHeading, this.privacyList, back);
  }

  buildFooter() {
    this.input = h("textarea", {
      id: "hlw-input", class: "hlw-input", rows: "1", autocomplete: "off",
      autocapitalize: "sentences", enterkeyhint: "send", "aria-describedby": "hlw-counter",
      oninput: () => this.inputChanged(),
      onkeydown: (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submit();
        }
      },
    });
    this.label(this.input, "placeholder", "placeholder");
    const inputLabel = this.label(h("label", { for: "hlw-input", class: "hlw-sr" }), "inputLabel");
    const sendButton = this.label(h("button", { type: "submit", class: "hlw-send" }), "send");
    this.counter = h("span", { class: "hlw-counter", id: "hlw-counter" });
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
    this.status = h("div", { class: "hlw-status", role: "status" });
    return h("div", { class: "hlw-footer" }, this.confirm, this.status, this.form,
      h("div", { class: "hlw-footer-row" }, this.deleteButton, this.counter, shortcut));
  }

  renderEntry(entry, { live = false } = {}) {
    const who = entry.from === "user" ? "you" : "assistant";
    const bubble = h("div", { class: "hlw-bubble", lang: entry.lang },
      h("span", { class: "hlw-sr hlw-who", "data-who": who, text: `${this.t(who)}: ` }));
    if (entry.text) bubble.append(h("span", { class: "hlw-text" }, richText(entry.text, this.t("newWindow"))));
    if (entry.image) {
      bubble.append(h("img", {
        class: "hlw-image", src: entry.image, alt: this.t("image"), loading: "lazy",
        decoding: "async", referrerpolicy: "no-referrer",
      }));
    }
    const item = h("div", { class: `hlw-msg hlw-${entry.from}` }, bubble);
    if (entry.from === "bot" && entry.text.startsWith(EMERGENCY_MARK)) {
      item.classList.add("hlw-emergency");
      if (live) bubble.setAttribute("role", "alert"); // said at once, over anything else
      if (this.help.helpline) {
        item.append(telLink(this.help.helpline, `${this.t("call", entry.lang)} ${this.help.helpline.text}`,
          "hlw-call"));
      }
    }
    if (entry.buttons) {
      const group = h("div", { class: "hlw-replies", role: "group", "aria-label": this.t("replies") });
      entry.buttons.forEach((button) => group.append(h("button", {
        type: "button", class: "hlw-reply", lang: entry.lang,
        onclick: () => this.sendPayload(button.title, button.payload),
      }, button.title)));
      item.append(group);
    }
    if (entry.from === "user") {
      this.bubbles.set(entry.id, item);
      if (entry.failed) this.markFailed(entry);
    }
    return item;
  }

  /** "Not sent" and a Retry button on the message's own bubble. */
  markFailed(entry) {
    const item = this.bubbles.get(entry.id);
    if (!item || item.querySelector(".hlw-failed")) return;
    // labelled like the other parts of messages (setLanguage), not bound: they come and go
    const retry = h("button", {
      type: "button", class: "hlw-retry", "data-label": "retry", text: this.t("retry"),
      onclick: () => this.retry(entry),
    });
    item.append(h("div", { class: "hlw-failed" },
      h("span", { "data-label": "notSent", text: this.t("notSent") }), " ", retry));
  }

  // -- behaviour --------------------------------------------------------------------------------

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.dock.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.unread.hidden = true;
    storage.set(KEY.open, "1");
    this.scrollToEnd();
    if (!focus) return;
    // On touch screens focusing the input would open the keyboard over the first screen.
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

  openPrivacy() {
    this.privacy.hidden = false;
    this.scroller.hidden = true;
    this.privacy.scrollTop = 0; // from its first line
    this.privacyHeading.focus();
  }

  closePrivacy() {
    this.privacy.hidden = true;
    this.scroller.hidden = false;
    this.scrollToEnd();
    this.input.focus();
  }

  /** Esc: closes the open dialog or panel; false when there is none. */
  closeDialog() {
    if (!this.confirm.hidden) this.cancelDelete();
    else if (!this.privacy.hidden) this.closePrivacy();
    else return false;
    return true;
  }

  setLanguage(code) {
    this.lang = code;
    storage.set(KEY.lang, code);
    this.panel.lang = code;
    this.dock.lang = code;
    this.bindings.forEach(([el, key, attribute]) => this.applyLabel(el, key, attribute));
    const other = otherLanguage(code);
    this.languageButton.textContent = LANGUAGE_NAMES[other];
    this.languageButton.lang = other;
    this.topicButtons.forEach((button, i) => { button.textContent = this.topics[i][code]; });
    this.privacyList.replaceChildren(...this.t("privacy").map((line) => h("li", { text: line })));
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
    this.log.querySelectorAll("[data-label]").forEach((el) => { el.textContent = this.t(el.dataset.label); });
    this.inputChanged();
  }

  chooseLanguage(code) {
    this.sendPayload(LANGUAGE_NAMES[code], switchPayload(code));
  }

  inputChanged() {
    const { input } = this;
    input.style.height = "auto"; // grow with the text, up to the CSS max-height
    input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
    const length = input.value.length;
    this.counter.textContent = length ? this.t("counter")(length) : "";
    this.counter.classList.toggle("hlw-over", length > MAX_MESSAGE_LENGTH);
    if (length <= MAX_MESSAGE_LENGTH && this.statusKey === "tooLong") this.showStatus(null);
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (text.length > MAX_MESSAGE_LENGTH) {
      this.showStatus("tooLong", this.t("tooLong")(text.length));
      return;
    }
    this.input.value = "";
    this.inputChanged();
    this.say(text);
  }

  /** A button: shows its title, sends its payload (a language switch also relabels the UI). */
  sendPayload(title, payload) {
    const language = payload.match(SWITCH_LANGUAGE);
    if (language) this.setLanguage(language[1]);
    this.say(title, payload);
    this.input.focus();
  }

  /** Shows the user's message and sends it (the payload for a button). */
  say(text, payload) {
    if (this.statusKey !== "connecting" && this.statusKey !== "reconnecting") this.showStatus(null);
    const isSwitch = !!payload && SWITCH_LANGUAGE.test(payload);
    const languageSet = storage.get(KEY.langSet);
    // A button payload has no words to tell the language by, and after a delete the new session
    // must go on in the conversation's language: the server is told the language first.
    if (!isSwitch && languageSet !== this.sessionId && (payload || languageSet === "keep")) {
      this.send(newSessionId(), switchPayload(this.lang));
    }
    if (isSwitch || payload || languageSet === "keep") storage.set(KEY.langSet, this.sessionId);
    const entry = { from: "user", id: newSessionId(), text, lang: payload ? this.lang : languageOf(text) || this.lang };
    if (payload) entry.payload = payload;
    this.append(entry);
    this.deliver(entry);
  }

  deliver(entry) {
    this.showTyping();
    this.send(entry.id, entry.payload || entry.text);
  }

  /** Messages said before the connection exists (during the tab check) wait for it. */
  send(id, message) {
    if (this.connection) this.connection.send(id, message);
    else this.waiting.push([id, message]);
  }

  retry(entry) {
    this.setFailed(entry.id, false);
    this.input.focus();
    this.deliver(entry);
  }

  setFailed(id, failed) {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry || !!entry.failed === failed) return;
    if (failed) {
      entry.failed = true;
      this.markFailed(entry);
    } else {
      delete entry.failed;
      this.bubbles.get(id)?.querySelector(".hlw-failed")?.remove();
    }
    this.saveEntries();
  }

  append(entry, { live = false } = {}) {
    this.entries.push(entry);
    this.saveEntries();
    const item = this.log.appendChild(this.renderEntry(entry, { live }));
    if (entry.from === "user") this.pinned = null;
    else if (live && !this.pinned && item.classList.contains("hlw-emergency")) this.pinned = item;
    this.scrollToEnd();
  }

  receive(raw) {
    this.hideTyping(); // the answer is here (the socket sends no end-of-reply marker)
    const entry = botEntry(raw, this.lang);
    if (!entry) return;
    // the assistant answers in the conversation's language: the widget follows it
    const spoken = languageOf(entry.text);
    if (spoken && spoken !== this.lang) this.setLanguage(spoken);
    this.append(entry, { live: true });
    if (this.panel.hidden) this.unread.hidden = false;
  }

  showTyping() {
    this.typing.hidden = false;
    this.scrollToEnd();
    window.clearTimeout(this.typingLimit);
    this.typingLimit = window.setTimeout(() => this.hideTyping(), TYPING_MAX_MS);
  }

  hideTyping() {
    window.clearTimeout(this.typingLimit);
    this.typing.hidden = true;
  }

  /** One status line; `key` says what it is about, so it is cleared when that is resolved. */
  showStatus(key, text = key ? this.t(key) : "") {
    this.statusKey = key;
    this.status.textContent = text;
  }

  isAtEnd() {
    const { scroller } = this;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= AT_END_PX;
  }

  /** The newest message in view. Before the first one, the first screen from its greeting;
   * during an emergency reply, its first lines (the numbers to call now), whatever follows. */
  scrollToEnd() {
    const { scroller } = this;
    if (!this.entries.length) {
      scroller.scrollTop = 0;
    } else if (this.pinned) {
      scroller.scrollTop += this.pinned.getBoundingClientRect().top - scroller.getBoundingClientRect().top - AT_END_PX;
    } else {
      scroller.scrollTop = scroller.scrollHeight;
    }
    this.atEnd = this.isAtEnd();
  }

  askDelete() {
    this.confirm.hidden = false;
    this.deleteYes.focus();
  }

  cancelDelete() {
    this.confirm.hidden = true;
    this.deleteButton.focus();
  }

  /** Asks the server to delete its copy; only then clears this tab's and starts a new session. */
  async deleteConversation() {
    let deleted = false;
    try {
      const response = await fetch(this.options.forgetUrl, {
        method: "POST", body: JSON.stringify({ session_id: this.sessionId, token: this.token }),
        headers: { "Content-Type": "text/plain" }, credentials: "omit", referrerPolicy: "no-referrer",
      });
      deleted = response.ok;
    } catch {
      deleted = false;
    }
    this.confirm.hidden = true;
    if (!deleted) {
      this.showStatus("deleteFailed");
      this.deleteButton.focus();
      return;
    }
    storage.clearWidget();
    this.entries = [];
    this.bubbles.clear();
    this.log.replaceChildren();
    this.hideTyping();
    this.newSession();
    storage.set(KEY.lang, this.lang);
    storage.set(KEY.langSet, "keep"); // the next message first sets the language on the server
    storage.set(KEY.open, "1");
    this.connection.restart(this.sessionId);
    this.showStatus("deleted");
    this.input.focus();
  }

  connect() {
    if (!this.statusKey) this.showStatus("connecting");
    this.connection = new Connection({
      rasaUrl: this.options.rasaUrl,
      sessionUrl: this.options.sessionUrl,
      sessionId: this.sessionId,
      token: this.token,
      io,
      events: {
        onBot: (raw) => this.receive(raw),
        onReplyDone: () => this.hideTyping(),
        onSent: (id) => this.setFailed(id, false),
        onFailed: (id) => {
          this.hideTyping();
          this.setFailed(id, true);
        },
        onSession: (session) => this.adoptSession(session),
        onState: (state) => {
          if (state === "reconnecting") this.showStatus("reconnecting");
          else if (this.statusKey === "connecting" || this.statusKey === "reconnecting") this.showStatus(null);
        },
      },
    });
    this.waiting.splice(0).forEach(([id, message]) => this.connection.send(id, message));
  }

  /** Keeps the panel above the on-screen keyboard, and the newest message in view on a resize. */
  followResizes() {
    const viewport = window.visualViewport;
    if (viewport) {
      const update = () => {
        this.panel.style.setProperty("--hlw-viewport-height", `${Math.round(viewport.height)}px`);
        this.panel.style.setProperty("--hlw-viewport-top", `${Math.round(viewport.offsetTop)}px`);
      };
      viewport.addEventListener("resize", update);
      viewport.addEventListener("scroll", update);
      update();
    }
    new ResizeObserver(() => { if (this.atEnd) this.scrollToEnd(); }).observe(this.scroller);
  }

  destroy() {
    if (this.connection) this.connection.close();
    if (this.tabs) this.tabs.close();
    if (this.host) this.host.remove();
  }
}
