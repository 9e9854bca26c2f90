// DOM helpers: text always goes in through textContent / text nodes, never as HTML.

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]}»“”]+$/;
// A phone number as the assistant marks it (bot/phones.py): [116 006](tel:116006)
const TEL = /\[([^\]\n]{1,40})\]\(tel:(\+?[0-9]{2,20})\)/g;
const TEL_TARGET = /^\+?[0-9]{2,20}$/;

export function h(tag, props = {}, ...children) {
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

export function httpUrl(value, base) {
  if (typeof value !== "string" || !value.trim()) return null;
  try {
    const url = new URL(value.trim(), base);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** A phone number as { text, tel } if `tel` is digits only (with an optional leading +). */
export function phoneNumber(raw) {
  if (!raw || typeof raw.text !== "string" || typeof raw.tel !== "string") return null;
  return TEL_TARGET.test(raw.tel) && raw.text.length <= 40 ? { text: raw.text, tel: raw.tel } : null;
}

/** A tap-to-call link; `label` is what it shows (the number by default). */
export function telLink(number, label = number.text, className = "hlw-tel") {
  return h("a", { href: `tel:${number.tel}`, class: className }, label);
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
export function richText(text, newWindowLabel) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(TEL)) {
    fragment.append(linkify(text.slice(last, match.index), newWindowLabel));
    fragment.append(telLink({ text: match[1], tel: match[2] }));
    last = match.index + match[0].length;
  }
  fragment.append(linkify(text.slice(last), newWindowLabel));
  return fragment;
}
