/**
 * Helpline web chat widget: a bilingual (sq/en) chat with the Rasa assistant, safe by design.
 *
 * Embed with ONE tag (the build bundles socket.io-client and the modules below into widget.js):
 *   <script src="https://your-host/widget/widget.js" defer></script>
 * Optional attributes on that tag: data-rasa-url (the assistant's public URL; without it the
 * widget takes the one in config.json next to widget.js), data-exit-url (the neutral page of the
 * quick exit), data-lang ("sq" or "en"), data-open="true" (start with the chat open).
 * config.json also gives the numbers of the "In danger?" bar and the topic buttons.
 *
 * Modules: strings.js (texts, language of a text), storage.js (sessionStorage, one tab per
 * session), connection.js (socket, REST fallback, re-sending), dom.js (safe DOM building),
 * view.js (the widget). This file: configuration, the quick exit and the start.
 *
 * Safety rules kept here: the conversation lives in sessionStorage only (never localStorage or
 * cookies); every text is put in the page with textContent, never innerHTML; message content
 * never goes into a URL or the console; the quick exit (button, Shift+Esc, or Esc twice outside
 * a text field) clears the widget's storage and replaces the page, so Back does not return to it.
 */
import { httpUrl } from "./dom.js";
import { storage } from "./storage.js";
import { Widget } from "./view.js";

const DEFAULT_EXIT_URL = "https://www.google.com/";
const DOUBLE_ESCAPE_MS = 1000;

// The <script> tag that loaded us: read now, it is only set while this file first runs.
const SCRIPT = document.currentScript;

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

function inTextField(event) {
  const target = event.composedPath()[0]; // inside the widget's shadow root too
  return !!target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.isComposing) return;
  if (event.shiftKey) {
    event.preventDefault();
    quickExit();
    return;
  }
  // One Esc closes the open dialog; in a text field Esc is the field's (clearing, an IME).
  if ((widget && widget.closeDialog()) || inTextField(event)) {
    lastEscape = 0;
    return;
  }
  const now = Date.now();
  if (now - lastEscape < DOUBLE_ESCAPE_MS) {
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
  try {
    const response = await fetch(new URL("config.json", scriptUrl), {
      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    });
    if (response.ok) remote = await response.json();
  } catch {
    // no config.json: the assistant is then expected at the widget's own origin
  }
  return {
    rasaUrl: httpUrl(data.rasaUrl || remote.rasaUrl) || new URL(scriptUrl.origin),
    exitUrl: (httpUrl(data.exitUrl || remote.exitUrl) || new URL(DEFAULT_EXIT_URL)).href,
    lang: data.lang || remote.lang || document.documentElement.lang,
    open: data.open === "true",
    help: remote.help,
    topics: remote.topics,
    stylesheet: new URL("widget.css", scriptUrl).href,
    forgetUrl: new URL("forget", scriptUrl).href,
    sessionUrl: new URL("session", scriptUrl).href,
    quickExit,
  };
}

async function start() {
  const options = await readConfig();
  exitUrl = options.exitUrl;
  widget = new Widget(options);
  await widget.mount();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => { start(); }, { once: true });
} else {
  start();
}
