// The operator console's one script (self-hosted; the CSP allows no other). Every text is put in
// with textContent; requests carry the session's CSRF token in a header. Its labels come from the
// page (bot/console/strings.py, in the operator's language, as a JSON data element), never from here.
'use strict';

const csrfToken = () => document.querySelector('meta[name="csrf"]')?.content || '';
const STRINGS = JSON.parse(document.getElementById('console-strings')?.textContent || '{}');

// The label `key` with its {name} places filled (the key itself if the table lacks it: visible, not blank).
function t(key, params = {}) {
  const text = STRINGS[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function api(method, url, body) {
  const options = {method, headers: {'X-CSRF-Token': csrfToken()}, credentials: 'same-origin'};
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    return {ok: false, status: 0, data: {error: t('error.unreachable')}};
  }
  if (response.status === 401) {
    window.location.assign('/signin');
    return {ok: false, status: 401, data: {error: t('error.signed_out_short')}};
  }
  let data = {};
  try { data = await response.json(); } catch (error) { data = {error: t('error.http', {status: response.status})}; }
  return {ok: response.ok, status: response.status, data};
}

function say(id, text, isError = false) {
  const node = document.getElementById(id);
  if (!node) return;
  node.textContent = text;
  node.classList.toggle('error', isError);
}

function minutes(seconds) {
  if (seconds < 60) return t('common.seconds', {n: seconds});
  const m = Math.floor(seconds / 60);
  return m < 60 ? t('common.minutes', {n: m}) : t('common.hours', {h: Math.floor(m / 60), m: m % 60});
}

// -- answer cards (script aid and conversation suggestions) ----------------------------------------

function cardItem(card, index) {
  const copyText = (lang) => `${card.answer[lang]}\n${card.next_step[lang]}`;
  const side = (lang, label) => el('div', {class: 'side', lang},
    el('h4', {text: `${label}: ${card.title[lang]}`}),
    el('p', {text: card.answer[lang]}),
    el('p', {class: 'next', text: card.next_step[lang]}),
    el('button', {type: 'button', class: 'copy', dataset: {lang}, lang: document.documentElement.lang,
      text: t(`card.copy_${lang}`)}));
  const item = el('li', {class: 'card', tabindex: '-1', dataset: {index: String(index)}},
    el('p', {class: 'confidence', text: `${Math.round(card.confidence * 100)} % · ${card.topic}`}),
    el('div', {class: 'sides'}, side('sq', t('side.sq')), side('en', t('side.en'))),
    el('p', {class: 'sources', text: t('card.sources', {sources: card.sources.map((s) => `${s.publisher}, ${s.title}`).join('; '),
      date: card.reviewed}) + (card.review_note ? t('card.review_note', {note: card.review_note}) : '')}));
  item.addEventListener('click', async (event) => {
    const button = event.target.closest('button.copy');
    if (!button) return;
    await copy(copyText(button.dataset.lang), button);
  });
  item.copyText = copyText;
  return item;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    if (button) {
      const label = button.textContent;
      button.textContent = t('card.copied');
      setTimeout(() => { button.textContent = label; }, 1200);
    }
    return true;
  } catch (error) {
    return false;
  }
}

function dangerBox(container, result) {
  container.replaceChildren();
  if (!result.emergency) return;
  container.append(el('p', {class: 'danger-flag', text: t('card.signals', {signals: result.signals.join(', ')})}),
    el('div', {class: 'sides'},
      el('div', {class: 'side', lang: 'sq'}, el('h4', {text: t('side.emergency_sq')}), el('p', {class: 'pre', text: result.emergency.sq})),
      el('div', {class: 'side', lang: 'en'}, el('h4', {text: t('side.emergency_en')}), el('p', {class: 'pre', text: result.emergency.en}))));
}

// -- script aid ---------------------------------------------------------------------------------

function scriptAid() {
  const box = document.getElementById('aid-q');
  const place = document.getElementById('aid-place');
  const cards = document.getElementById('aid-cards');
  let selected = -1;
  let timer = null;
  let asked = 0;
  let ticked = new Set();
  let last = null;

  const select = (index) => {
    const items = cards.querySelectorAll('li.card');
    if (!items.length) return;
    selected = Math.max(0, Math.min(items.length - 1, index));
    items.forEach((item, i) => item.classList.toggle('selected', i === selected));
    items[selected].scrollIntoView({block: 'nearest'});
  };

  const showScreening = (result) => {
    const list = document.getElementById('aid-indicators');
    list.replaceChildren(...result.indicators.map((indicator) => {
      const id = `ind-${indicator.key}`;
      const input = el('input', {type: 'checkbox', id, checked: indicator.present || ticked.has(indicator.key)});
      input.addEventListener('change', () => {
        if (input.checked) ticked.add(indicator.key); else ticked.delete(indicator.key);
        showReferral(result);
      });
      return el('li', {class: indicator.present ? 'present' : ''}, input,
        el('label', {for: id}, el('strong', {text: `${indicator.name.en} / ${indicator.name.sq}`})),
        el('p', {lang: 'sq', text: indicator.question.sq}), el('p', {lang: 'en', text: indicator.question.en}));
    }));
    document.getElementById('aid-note').textContent = `${result.note.en} / ${result.note.sq}`;
    document.getElementById('aid-steps').replaceChildren(...result.referral_steps.map((step) =>
      el('li', {}, el('p', {lang: 'sq', text: step.sq}), el('p', {lang: 'en', text: step.en}))));
    document.getElementById('aid-sources').textContent = t('card.screening_sources', {sources: result.screening_sources
      .map((s) => `${s.publisher}, “${s.title}” (${s.url}, ${t('aid.read', {date: s.accessed})})`).join('; ')});
    showReferral(result);
  };

  const showReferral = (result) => {
    const due = result.refer || ticked.size > 0 || result.indicators.some((i) => i.present);
    document.getElementById('aid-referral').hidden = !due;
  };

  const show = (result) => {
    last = result;
    document.getElementById('aid-language').textContent = result.language
      ? t('aid.detected_language', {language: t(`language.${result.language}`)}) : '';
    dangerBox(document.getElementById('aid-danger'), result);
    document.getElementById('aid-danger-box').classList.toggle('alarm', !!result.emergency);
    cards.replaceChildren(...result.cards.map(cardItem));
    selected = -1;
    if (result.cards.length) select(0);
    document.getElementById('aid-contacts').replaceChildren(...result.contacts.map((c) =>
      el('li', {}, el('strong', {text: `${c.name.en} / ${c.name.sq}`}),
        c.phone ? el('a', {href: `tel:${c.phone.replace(/\s+/g, '')}`, text: ` ${c.phone}`}) : null,
        el('p', {text: `${c.helps_with.en}${c.city ? ` · ${c.city}` : ''} · ${c.country}`}))));
    showScreening(result);
  };

  const lookup = async () => {
    const ask = ++asked;
    const query = new URLSearchParams({q: box.value, place: place.value});
    const reply = await api('GET', `/api/aid?${query}`);
    if (ask !== asked) return; // a newer lookup is under way
    if (!reply.ok) { say('aid-status', reply.data.error || t('aid.lookup_failed'), true); return; }
    say('aid-status', '');
    show(reply.data);
  };
  const soon = () => { clearTimeout(timer); timer = setTimeout(lookup, 120); };
  box.addEventListener('input', soon);
  place.addEventListener('input', soon);
  box.addEventListener('keydown', async (event) => {
    if (event.key === 'ArrowDown') { event.preventDefault(); select(selected + 1); }
    else if (event.key === 'ArrowUp') { event.preventDefault(); select(selected - 1); }
    else if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      const item = cards.querySelectorAll('li.card')[selected];
      if (!item || !last) return;
      const lang = last.language === 'en' ? 'en' : 'sq';
      const done = await copy(item.copyText(lang));
      say('aid-status', done ? t(`aid.copied_${lang}`) : t('aid.copy_failed'), !done);
    }
  });

  document.getElementById('aid-outcome').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const reply = await api('POST', '/api/outcome', {topic: form.topic.value, language: form.language.value,
      referred_to: form.referred_to.value});
    say('out-status', reply.ok ? t('aid.recorded') : reply.data.error, !reply.ok);
    if (reply.ok) form.reset();
  });
  box.focus();
  lookup();
}

// -- queue --------------------------------------------------------------------------------------

const stateLabel = (item) => t(`state.${item.state}`, {name: item.held_by || ''});

function queuePage() {
  const rows = document.getElementById('queue-rows');
  const refresh = async () => {
    const reply = await api('GET', '/api/queue');
    if (!reply.ok) { say('queue-status', reply.data.error || t('queue.unreadable'), true); return; }
    const items = reply.data.items;
    say('queue-status', items.length ? t('queue.count', {n: items.length}) : t('queue.empty'));
    rows.replaceChildren(...items.map((item) => el('tr', {class: item.danger ? 'danger' : '', dataset: {handoff: item.handoff_id}},
      el('td', {text: item.danger ? t('queue.danger_flag') : ''}),
      el('td', {text: minutes(item.waiting_seconds)}),
      el('td', {text: item.language}),
      el('td', {text: item.channel}),
      el('td', {text: item.topic || t('common.none')}),
      el('td', {text: stateLabel(item), dataset: {state: item.state}}),
      el('td', {}, el('a', {href: `/handoff/${encodeURIComponent(item.handoff_id)}`, text: t('queue.open')})))));
  };
  refresh();
  setInterval(refresh, 2000);
}

// -- one conversation ---------------------------------------------------------------------------

function conversationPage() {
  const id = document.body.dataset.handoff;
  const base = `/api/handoff/${encodeURIComponent(id)}`;
  const turns = document.getElementById('conv-turns');
  const send = document.getElementById('conv-send');
  const text = document.getElementById('conv-text');
  let limit = null;
  let mine = false;
  let shown = '';
  let pendingKey = null;
  let finished = false; // released or closed here: the handoff is out of the queue, stop reading it

  const limitNote = () => {
    const count = text.value.length;
    document.getElementById('conv-limit').textContent = limit
      ? t('conv.limit', {count, limit}) : t('conv.no_limit', {count});
  };
  const controls = (item) => {
    const operator = document.querySelector('.who')?.dataset.operator;
    mine = !!item && item.state === 'held' && item.held_by === operator;
    document.getElementById('conv-take').disabled = !item || item.state !== 'waiting';
    document.getElementById('conv-release').disabled = !mine;
    document.getElementById('conv-close').disabled = !mine;
    send.disabled = !mine || send.dataset.busy === '1';
    text.disabled = !mine;
  };
  const refresh = async () => {
    if (finished) return;
    const reply = await api('GET', base);
    if (finished) return;
    if (!reply.ok) { say('conv-status', reply.data.error, true); controls(null); return; }
    const {item, suggestions} = reply.data;
    if (item) {
      if (item.reply_limit) limit = item.reply_limit;
      document.getElementById('conv-meta').textContent = `${item.danger ? `${t('queue.danger_flag')} · ` : ''}`
        + `${item.language} · ${item.channel} · ${item.topic || t('conv.no_topic')} · ${stateLabel(item)}`;
    }
    const key = JSON.stringify(reply.data.turns);
    if (key !== shown) {
      shown = key;
      turns.replaceChildren(...reply.data.turns.map((turn) => el('li', {class: `turn ${turn.who}`},
        el('span', {class: 'who-label', dataset: {who: turn.who}, text: t(`who.${turn.who}`)}), el('p', {text: turn.text}))));
      turns.scrollTop = turns.scrollHeight; // the newest message in view, as in a chat
      if (suggestions) {
        dangerBox(document.getElementById('conv-danger'), suggestions);
        document.getElementById('conv-cards').replaceChildren(...suggestions.cards.map(cardItem));
      }
    }
    controls(item);
    limitNote();
  };
  const act = async (name, done, ends) => {
    const reply = await api('POST', `${base}/${name}`);
    if (reply.ok && ends) {
      finished = true;
      controls(null);
      document.getElementById('conv-take').disabled = true;
    }
    say('conv-status', reply.ok ? done : reply.data.error, !reply.ok);
    if (!finished) await refresh();
  };
  document.getElementById('conv-take').addEventListener('click', () => act('take', t('conv.taken')));
  document.getElementById('conv-release').addEventListener('click', () => act('release', t('conv.released'), true));
  document.getElementById('conv-close').addEventListener('click', () => act('close', t('conv.closed'), true));
  text.addEventListener('input', () => { pendingKey = null; limitNote(); });
  document.getElementById('conv-reply').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (send.dataset.busy === '1' || !text.value.trim()) return;
    send.dataset.busy = '1';
    send.disabled = true;
    pendingKey = pendingKey || crypto.randomUUID(); // the same key when the same text is retried
    const reply = await api('POST', `${base}/send`, {text: text.value, key: pendingKey});
    send.dataset.busy = '0';
    if (reply.ok) {
      text.value = '';
      pendingKey = null;
      say('conv-status', t('conv.sent'));
    } else {
      if (reply.data.limit) limit = reply.data.limit;
      say('conv-status', reply.data.error, true);
    }
    await refresh();
  });
  refresh();
  setInterval(refresh, 2000);
}

const pages = {aid: scriptAid, queue: queuePage, conversation: conversationPage};
pages[document.body.dataset.page]?.();
